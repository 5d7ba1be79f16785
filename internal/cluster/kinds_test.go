package cluster

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// Each kind is declared once and fills exactly one field of a snapshot;
// every field of objects is some kind's.
func TestKindsFillEverySnapshotField(t *testing.T) {
	filled := map[string]string{}
	for _, k := range Kinds {
		if other, ok := KindOfResource(k.Resource.Resource); !ok || other != k {
			t.Errorf("%s: resource %s declared twice", k.Name, k.Resource.Resource)
		}
		if got, ok := KindOf(k.GVK()); !ok || got != k {
			t.Errorf("%s: KindOf(%v) does not find it", k.Name, k.GVK())
		}
		var obj any = ScaledObject{}
		if k.New != nil {
			obj = k.New()
			if got, ok := KindOfObject(obj); !ok || got != k {
				t.Errorf("%s: KindOfObject(%T) does not find it", k.Name, obj)
			}
		}
		// Each form the kind's objects take: the API type, and the
		// compact form its Trim makes of some.
		forms := []any{obj}
		switch k.Resource.Resource {
		case "replicasets":
			forms = append(forms, &OwnedReplicaSet{})
		case "deployments":
			forms = append(forms, &Deployment{})
		}
		for _, obj := range forms {
			checkFills(t, k, obj, filled)
		}
	}
	typ := reflect.TypeFor[Snapshot]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Type.Kind() == reflect.Slice && f.Name != "Unsynced" && filled[f.Name] == "" {
			t.Errorf("Snapshot.%s belongs to no kind of Kinds", f.Name)
		}
	}
}

// checkFills adds obj, of kind k, to an empty snapshot and checks it
// lands in exactly one field, filled by no other kind.
func checkFills(t *testing.T, k *Kind, obj any, filled map[string]string) {
	t.Helper()
	s := &Snapshot{}
	if err := s.AddAll(k, []any{obj}); err != nil {
		t.Fatalf("%s: %v", k.Name, err)
	}
	v := reflect.ValueOf(s).Elem()
	n := 0
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Slice && f.Len() > 0 {
			n++
			name := v.Type().Field(i).Name
			if prev, dup := filled[name]; dup && prev != k.Name {
				t.Errorf("Snapshot.%s is filled by %s and %s", name, prev, k.Name)
			}
			filled[name] = k.Name
		}
	}
	if n != 1 {
		t.Errorf("%s: a %T fills %d snapshot fields, want 1", k.Name, obj, n)
	}
}

// A kind refuses an object of another kind, and Transform trims through
// each kind's Trim.
func TestKindsRefuseOtherTypes(t *testing.T) {
	nodes, _ := KindOfResource("nodes")
	if err := (&Snapshot{}).Add(nodes, &corev1.Pod{}); err == nil {
		t.Error("nodes accepted a pod")
	}
	pods, _ := KindOfResource("pods")
	if err := (&Snapshot{}).Add(pods, &Pod{}); err != nil {
		t.Errorf("pods refused a trimmed pod: %v", err)
	}
	got, err := Transform(&corev1.Pod{})
	if _, ok := got.(*Pod); err != nil || !ok {
		t.Errorf("Transform(pod) = %T, %v; want *cluster.Pod", got, err)
	}
}
