package helmhistory

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func obj(ns string, lbl map[string]string) *metav1.ObjectMeta {
	return &metav1.ObjectMeta{Namespace: ns, Labels: lbl}
}

func TestAnalyze(t *testing.T) {
	t.Parallel()
	r := Analyze([]Storage{
		{Name: StorageSecret, Available: true, Objects: []*metav1.ObjectMeta{
			obj("a", map[string]string{"owner": "helm", "name": "web"}),
			obj("a", map[string]string{"owner": "helm", "name": "web"}),
			obj("b", map[string]string{"owner": "helm", "name": "web"}), // same name, other namespace
			obj("a", map[string]string{"owner": "helm"}),                // no release name
			obj("a", nil),
		}},
		{Name: StorageTiller, Available: true, Objects: []*metav1.ObjectMeta{
			obj("kube-system", map[string]string{"OWNER": "TILLER", "NAME": "old"}),
			obj("kube-system", map[string]string{"OWNER": "TILLER", "name": "lowercase-is-not-helm2"}),
		}},
		{Name: StorageConfigMap, Available: false, Objects: []*metav1.ObjectMeta{obj("a", map[string]string{"name": "x"})}},
	})
	want := []Release{{StorageSecret, "a", "web", 2}, {StorageSecret, "b", "web", 1}, {StorageTiller, "kube-system", "old", 1}}
	if len(r.Releases) != len(want) {
		t.Fatalf("releases %+v", r.Releases)
	}
	for i := range want {
		if r.Releases[i] != want[i] {
			t.Errorf("release %d = %+v, want %+v", i, r.Releases[i], want[i])
		}
	}
	if r.Invalid[StorageSecret] != 2 || r.Invalid[StorageTiller] != 1 || r.Available[StorageConfigMap] {
		t.Errorf("invalid %v available %v", r.Invalid, r.Available)
	}
}
