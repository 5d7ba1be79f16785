package demo

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

const gatewayGroupVersion = "gateway.networking.k8s.io/v1"

var gatewayKinds = map[string]string{"GatewayClass": "gatewayclasses", "Gateway": "gateways", "HTTPRoute": "httproutes"}

var certificateGVR = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}

// CRDClients returns a discovery client that serves the Gateway API and
// cert-manager's Certificates, and a fake dynamic client holding the
// bundled snapshot's Gateway API objects and the given Certificates (made
// at start: their dates are relative to now), so demo runs the same
// watchers central does.
func CRDClients(certificates []*unstructured.Unstructured) (discovery.DiscoveryInterface, dynamic.Interface, error) {
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(bundled, &list); err != nil {
		return nil, nil, fmt.Errorf("demo snapshot: %w", err)
	}
	var objs []*unstructured.Unstructured
	for i, raw := range list.Items {
		var u unstructured.Unstructured
		if err := u.UnmarshalJSON(raw); err != nil {
			return nil, nil, fmt.Errorf("demo snapshot item %d: %w", i, err)
		}
		if u.GetAPIVersion() == gatewayGroupVersion {
			if _, ok := gatewayKinds[u.GetKind()]; ok {
				objs = append(objs, &u)
			}
		}
	}
	listKinds := map[schema.GroupVersionResource]string{}
	var resources []metav1.APIResource
	for kind, plural := range gatewayKinds {
		listKinds[schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: plural}] = kind + "List"
		resources = append(resources, metav1.APIResource{Name: plural, Kind: kind, Namespaced: kind != "GatewayClass", Verbs: metav1.Verbs{"list", "watch"}})
	}
	listKinds[certificateGVR] = "CertificateList"
	disc := fake.NewClientset().Discovery().(*fakediscovery.FakeDiscovery)
	disc.Resources = []*metav1.APIResourceList{{GroupVersion: gatewayGroupVersion, APIResources: resources},
		{GroupVersion: certificateGVR.GroupVersion().String(), APIResources: []metav1.APIResource{
			{Name: "certificates", Kind: "Certificate", Namespaced: true, Verbs: metav1.Verbs{"list", "watch"}}}}}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds)
	for _, c := range certificates {
		if err := dyn.Tracker().Create(certificateGVR, c, c.GetNamespace()); err != nil {
			return nil, nil, fmt.Errorf("demo certificate %s: %w", c.GetName(), err)
		}
	}
	for _, o := range objs {
		// Added under their real resource: the fake's guess from the kind
		// would file a Gateway under "gatewaies".
		gvr := schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: gatewayKinds[o.GetKind()]}
		if err := dyn.Tracker().Create(gvr, o, o.GetNamespace()); err != nil {
			return nil, nil, fmt.Errorf("demo gateway object %s: %w", o.GetName(), err)
		}
	}
	return disc, dyn, nil
}
