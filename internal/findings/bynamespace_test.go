package findings

import (
	"reflect"
	"testing"
)

// One entry per namespace and rule: objects counted once however many
// findings they have, a Namespace finding in the namespace it names, the
// examples the first ones by kind and name, bounded.
func TestByNamespace(t *testing.T) {
	fs := []Finding{
		{Rule: "resources/no-requests", Kind: "Deployment", Namespace: "shop", Name: "web", Message: "cpu"},
		{Rule: "resources/no-requests", Kind: "Deployment", Namespace: "shop", Name: "web", Message: "memory"},
		{Rule: "resources/no-requests", Kind: "StatefulSet", Namespace: "shop", Name: "db"},
		{Rule: "resources/no-requests", Kind: "Deployment", Namespace: "shop", Name: "api"},
		{Rule: "resources/no-requests", Kind: "Deployment", Namespace: "shop", Name: "cart"},
		{Rule: "resources/no-resourcequota", Kind: "Namespace", Name: "shop"},
		{Rule: "resources/no-requests", Kind: "Deployment", Namespace: "blog", Name: "web"},
		{Rule: "certificates/webhook-ca-invalid", Kind: "ValidatingWebhookConfiguration", Name: "policy"},
	}
	want := []NamespaceRule{
		{Namespace: "", Rule: "certificates/webhook-ca-invalid", Objects: 1, Examples: []string{"ValidatingWebhookConfiguration/policy"}},
		{Namespace: "blog", Rule: "resources/no-requests", Objects: 1, Examples: []string{"Deployment/web"}},
		{Namespace: "shop", Rule: "resources/no-requests", Objects: 4, Examples: []string{"Deployment/api", "Deployment/cart", "Deployment/web"}},
		{Namespace: "shop", Rule: "resources/no-resourcequota", Objects: 1, Examples: []string{"Namespace/shop"}},
	}
	if got := ByNamespace(fs, 3); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}
