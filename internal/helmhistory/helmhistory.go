package helmhistory

import (
	"cmp"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Storages, as in the storage label.
const (
	StorageSecret    = "secret"    // Helm 3 default driver
	StorageConfigMap = "configmap" // Helm 3 configmap driver
	StorageTiller    = "tiller"    // Helm 2 ConfigMaps
)

// Storage is the metadata of one storage's release objects.
type Storage struct {
	Name string
	// Available is false when the objects could not be listed (the
	// optional RBAC role is missing, or the cache has not synced): its
	// releases are then unknown, not absent.
	Available bool
	Objects   []*metav1.ObjectMeta
}

// Release counts one release's stored revisions.
type Release struct {
	Storage, Namespace, Name string
	Revisions                int
}

// Result is one analysis, sorted.
type Result struct {
	Releases []Release
	// Available and Invalid are per storage; Invalid counts objects that
	// carry the owner label but no release name.
	Available map[string]bool
	Invalid   map[string]int
}

// nameLabel is the label holding the release name in each storage.
func nameLabel(storage string) string {
	if storage == StorageTiller {
		return "NAME"
	}
	return "name"
}

// Analyze counts revisions per release.
func Analyze(storages []Storage) Result {
	res := Result{Available: map[string]bool{}, Invalid: map[string]int{}}
	counts := map[Release]int{}
	for _, s := range storages {
		res.Available[s.Name] = s.Available
		res.Invalid[s.Name] = 0
		if !s.Available {
			continue
		}
		for _, o := range s.Objects {
			name := o.Labels[nameLabel(s.Name)]
			if name == "" {
				res.Invalid[s.Name]++
				continue
			}
			counts[Release{Storage: s.Name, Namespace: o.Namespace, Name: name}]++
		}
	}
	for r, n := range counts {
		r.Revisions = n
		res.Releases = append(res.Releases, r)
	}
	slices.SortFunc(res.Releases, func(a, b Release) int {
		return cmp.Or(cmp.Compare(a.Storage, b.Storage), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return res
}
