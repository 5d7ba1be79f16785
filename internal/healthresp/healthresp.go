package healthresp

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"slices"
	"strings"
	"unicode/utf8"
)

// Formats a response is recognised as.
const (
	FormatHealthJSON   = "health_json"  // IETF application/health+json
	FormatSpringBoot   = "spring_boot"  // Spring Boot actuator /health
	FormatMicroProfile = "microprofile" // MicroProfile Health
	FormatOtherJSON    = "other_json"   // JSON of no known shape
	FormatPlain        = "plain"        // not JSON ("OK")
)

// Formats lists every format, for state-set metrics.
var Formats = []string{FormatHealthJSON, FormatSpringBoot, FormatMicroProfile, FormatOtherJSON, FormatPlain}

// Errors, each a bounded reason for metrics.
var (
	ErrInvalidUTF8 = errors.New("response is not valid UTF-8")
	ErrTooDeep     = errors.New("response nests deeper than allowed")
	ErrInvalidJSON = errors.New("response is not valid JSON")
)

// Component is one thing a health response says it checked.
type Component struct {
	// Name is what the response calls it: a checks key's component part,
	// a Spring component, a MicroProfile check name.
	Name string
	// Alt is another name for it (IETF componentId, a Spring composite's
	// name), tried when Name resolves to nothing.
	Alt string
	// Internal marks checks of the process itself (disk space, uptime,
	// its own liveness state): not dependencies.
	Internal bool
}

// Response is what a health response tells.
type Response struct {
	Format     string
	Components []Component
}

// Dependencies returns the components that are not internal.
func (r Response) Dependencies() []Component {
	var out []Component
	for _, c := range r.Components {
		if !c.Internal {
			out = append(out, c)
		}
	}
	return out
}

// Parse reads a response body (already size-bounded by the caller) with
// its Content-Type. maxDepth bounds JSON nesting.
func Parse(body []byte, contentType string, maxDepth int) (Response, error) {
	if !utf8.Valid(body) {
		return Response{}, ErrInvalidUTF8
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
		return Response{Format: FormatPlain}, nil
	}
	if err := checkDepth(trimmed, maxDepth); err != nil {
		return Response{}, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &doc); err != nil {
		if json.Valid(trimmed) { // an array or so: JSON, no known shape
			return Response{Format: FormatOtherJSON}, nil
		}
		return Response{}, fmt.Errorf("%w: %v", ErrInvalidJSON, err)
	}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch checks := doc["checks"]; {
	case isObject(checks):
		return parseIETF(checks)
	case isArray(checks):
		return parseMicroProfile(checks)
	case isObject(doc["components"]):
		r := Response{Format: FormatSpringBoot}
		err := parseSpring(doc["components"], "", &r)
		return r, err
	}
	// No checks listed: tell the format from the media type or status.
	var status string
	_ = json.Unmarshal(doc["status"], &status)
	switch {
	case mediaType == "application/health+json" || slices.Contains([]string{"pass", "fail", "warn"}, status):
		return Response{Format: FormatHealthJSON}, nil
	case slices.Contains([]string{"UP", "DOWN", "OUT_OF_SERVICE", "UNKNOWN"}, status):
		return Response{Format: FormatSpringBoot}, nil
	}
	return Response{Format: FormatOtherJSON}, nil
}

func isObject(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '{' }
func isArray(raw json.RawMessage) bool  { return len(raw) > 0 && raw[0] == '[' }

// checkDepth refuses documents nesting deeper than max, before any
// decoding allocates for them.
func checkDepth(b []byte, limit int) error {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > limit {
				return ErrTooDeep
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// IETF checks: {"<component>:<measurement>": [{"componentId": …,
// "componentType": "datastore"|"component"|"system", …}], …}.
func parseIETF(raw json.RawMessage) (Response, error) {
	var checks map[string][]struct {
		ComponentID   string `json:"componentId"`
		ComponentType string `json:"componentType"`
	}
	if err := json.Unmarshal(raw, &checks); err != nil {
		return Response{}, fmt.Errorf("%w: checks: %v", ErrInvalidJSON, err)
	}
	r := Response{Format: FormatHealthJSON}
	seen := map[string]int{} // one component, several measurements
	for _, key := range sortedKeys(checks) {
		name, measurement, _ := strings.Cut(key, ":")
		if name == "" {
			continue
		}
		c := Component{Name: name, Internal: internalIETF(name, measurement)}
		for _, e := range checks[key] {
			if e.ComponentType == "system" {
				c.Internal = true
			}
			if c.Alt == "" && e.ComponentID != "" && e.ComponentID != name {
				c.Alt = e.ComponentID
			}
		}
		if i, ok := seen[name]; ok {
			r.Components[i].Internal = r.Components[i].Internal && c.Internal
			r.Components[i].Alt = cmp.Or(r.Components[i].Alt, c.Alt)
			continue
		}
		seen[name] = len(r.Components)
		r.Components = append(r.Components, c)
	}
	return r, nil
}

// The draft's examples of checks of the service itself.
func internalIETF(name, measurement string) bool {
	switch strings.ToLower(name) {
	case "uptime", "cpu", "memory", "disk", "diskspace":
		return true
	}
	return measurement == "utilization"
}

// MicroProfile: {"status": "UP", "checks": [{"name": …, "status": …}]}.
func parseMicroProfile(raw json.RawMessage) (Response, error) {
	var checks []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(raw, &checks); err != nil {
		return Response{}, fmt.Errorf("%w: checks: %v", ErrInvalidJSON, err)
	}
	r := Response{Format: FormatMicroProfile}
	for _, c := range checks {
		if c.Name != "" {
			r.Components = append(r.Components, Component{Name: c.Name, Internal: internalMicroProfile(c.Name)})
		}
	}
	return r, nil
}

func internalMicroProfile(name string) bool {
	n := strings.ToLower(name)
	// Built-in checks of SmallRye, Quarkus, Open Liberty about the process.
	return strings.Contains(n, "heap-memory") || strings.Contains(n, "system-load") || strings.Contains(n, "thread") ||
		strings.Contains(n, "disk") || n == "alive" || n == "ready" || n == "started"
}

// Spring Boot: {"status": "UP", "components": {"db": {"status": "UP",
// "details": …}, "composite": {"components": {…}}}}.
func parseSpring(raw json.RawMessage, parent string, r *Response) error {
	var comps map[string]json.RawMessage
	if err := json.Unmarshal(raw, &comps); err != nil {
		return fmt.Errorf("%w: components: %v", ErrInvalidJSON, err)
	}
	for _, name := range sortedKeys(comps) {
		if name == "" {
			continue
		}
		var inner struct {
			Components json.RawMessage `json:"components"`
		}
		_ = json.Unmarshal(comps[name], &inner) // a non-object component is a leaf
		if isObject(inner.Components) {
			if err := parseSpring(inner.Components, name, r); err != nil {
				return err
			}
			continue
		}
		r.Components = append(r.Components, Component{Name: name, Alt: parent, Internal: internalSpring(parent, name)})
	}
	return nil
}

// Spring Boot's indicators of the application itself.
func internalSpring(parent, name string) bool {
	switch name {
	case "diskSpace", "ping", "livenessState", "readinessState", "refreshScope", "ssl", "reactiveDiscoveryClients", "discoveryClient":
		return true
	}
	return parent == "discoveryComposite"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
