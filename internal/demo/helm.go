package demo

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/metadata"
	metadatafake "k8s.io/client-go/metadata/fake"
)

// MetadataClient returns a fake metadata client holding the metadata of the
// bundled snapshot's Secrets and ConfigMaps (Helm release storage). Only
// metadata is decoded: the bundled release objects carry no data, and the
// demo, like central, never reads any.
func MetadataClient() (metadata.Interface, error) {
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(bundled, &list); err != nil {
		return nil, fmt.Errorf("demo snapshot: %w", err)
	}
	var objs []runtime.Object
	for i, raw := range list.Items {
		var m metav1.PartialObjectMetadata
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("demo snapshot item %d: %w", i, err)
		}
		if m.APIVersion == "v1" && (m.Kind == "Secret" || m.Kind == "ConfigMap") {
			objs = append(objs, &m)
		}
	}
	scheme := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		return nil, err
	}
	return metadatafake.NewSimpleMetadataClient(scheme, objs...), nil
}
