package config

import (
	"slices"
	"testing"
)

// Vars lists every variable with its Go type and modes, as Usage does.
func TestVars(t *testing.T) {
	vars, err := Vars()
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]Var{}
	for _, v := range vars {
		byKey[v.Key] = v
	}
	for key, want := range map[string]Var{
		Key("TLS_PROBE_INTERVAL"): {Type: "time.Duration", Default: "5m", Modes: []string{"central", "demo"}},
		Key("TLS_PROBE"):          {Type: "bool", Default: "true", Modes: []string{"central", "demo"}},
		Key("ETCD_ENDPOINTS"):     {Type: "[]string", Modes: []string{"central"}},
		Key("KUBE_API_QPS"):       {Type: "float32", Default: "20", Modes: []string{"central", "agent"}},
		Key("LOG_LEVEL"):          {Type: "string", Default: "info"},
	} {
		got := byKey[key]
		if got.Type != want.Type || got.Default != want.Default || !slices.Equal(got.Modes, want.Modes) || got.Desc == "" {
			t.Errorf("%s: %+v, want %+v", key, got, want)
		}
	}
}
