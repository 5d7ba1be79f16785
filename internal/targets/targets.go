package targets

import (
	"fmt"
	"net/url"
	"strings"
)

// Target is one configured endpoint.
type Target struct {
	// Name labels the series: the configured name, or the URL's host:port.
	Name string
	URL  *url.URL
}

// Parse parses "name=URL" or plain URLs (a "=" after "://" belongs to the
// URL's query). what names the list in errors ("etcd endpoint").
func Parse(what string, specs []string) ([]Target, error) {
	var out []Target
	seen := map[string]bool{}
	for _, s := range specs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		name, raw, named := strings.Cut(s, "=")
		if !named || strings.Contains(name, "://") {
			name, raw, named = "", s, false
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return nil, fmt.Errorf("%s %q: want [name=]http(s)://host:port[/path], without credentials", what, s)
		}
		if !named {
			name = u.Host
		}
		if name == "" {
			return nil, fmt.Errorf("%s %q: empty name", what, s)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s %q: name %q used twice", what, s, name)
		}
		seen[name] = true
		out = append(out, Target{Name: name, URL: u})
	}
	return out, nil
}
