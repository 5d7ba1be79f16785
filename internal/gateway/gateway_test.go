package gateway

import "testing"

func TestSummarize(t *testing.T) {
	t.Parallel()
	r := Summarize(Objects{
		Classes:        map[string]string{"nginx": "gateway.nginx.org/nginx-gateway-controller", "mine": "example.com/gw"},
		GatewayClassOf: []string{"nginx", "nginx", "mine", "gone"},
		HTTPRoutes:     7,
	})
	want := []Class{{"mine", "other", 1}, {"nginx", "nginx-gateway-fabric", 2}}
	if len(r.Classes) != 2 || r.Classes[0] != want[0] || r.Classes[1] != want[1] || r.GatewaysWithoutClass != 1 || r.HTTPRoutes != 7 {
		t.Errorf("summary %+v", r)
	}
}
