package controllerversions

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/versiontable"
)

//go:embed known-issues.yaml
var tableYAML []byte

// Controller is one controller: the image repositories it ships as and
// its known issues by version.
type Controller struct {
	Name string `json:"name"`
	// Images are repository paths without the registry
	// ("ingress-nginx/controller"): mirrors keep the path.
	Images []string             `json:"images"`
	Issues []versiontable.Issue `json:"issues"`

	table *versiontable.Table
}

// Table is every controller's rows under one revision.
type Table struct {
	Revision    int          `json:"revision"`
	Controllers []Controller `json:"controllers"`
}

// Load parses the table shipped in the binary.
func Load() (*Table, error) { return Parse(tableYAML) }

// Parse parses and checks a table: each controller's rows under
// versiontable's rules, image paths unique across controllers.
func Parse(b []byte) (*Table, error) {
	var t Table
	if err := yaml.UnmarshalStrict(b, &t); err != nil {
		return nil, fmt.Errorf("controller versions: %w", err)
	}
	owner := map[string]string{}
	for i := range t.Controllers {
		c := &t.Controllers[i]
		if c.Name == "" || len(c.Images) == 0 {
			return nil, fmt.Errorf("controller versions: controller %q needs a name and images", c.Name)
		}
		for _, im := range c.Images {
			if o, dup := owner[im]; dup || im == "" {
				return nil, fmt.Errorf("controller versions: image %q of %s is %s's too", im, c.Name, o)
			}
			owner[im] = c.Name
		}
		c.table = &versiontable.Table{Revision: t.Revision, Issues: c.Issues}
		if err := c.table.Check(); err != nil {
			return nil, fmt.Errorf("controller versions: %s: %w", c.Name, err)
		}
		c.Issues = c.table.Issues
	}
	return &t, nil
}

// Image is what an image reference says of a known controller.
type Image struct {
	Controller string
	// Version is the tag as written ("v1.14.3"); empty when the image
	// has no tag.
	Version string
	// Parsed is Version parsed; meaningless when Unknown is set.
	Parsed versiontable.Version
	// Unknown says why the version cannot be judged (no tag, a digest
	// alone, "latest", a tag that is not major.minor.patch).
	Unknown string
}

// ErrNotAController: the image is none of the table's.
var ErrNotAController = errors.New("not a known controller image")

// Identify matches an image reference ("registry.k8s.io/ingress-nginx/
// controller:v1.14.3@sha256:…") against the controllers' repositories.
func (t *Table) Identify(image string) (Image, error) {
	path, tag := Split(image)
	for _, c := range t.Controllers {
		for _, im := range c.Images {
			if path != im && !strings.HasSuffix(path, "/"+im) {
				continue
			}
			out := Image{Controller: c.Name, Version: tag}
			if tag == "" {
				out.Unknown = "the image has no tag (a digest alone or none): its version is unknown"
				return out, nil
			}
			v, err := versiontable.ParseVersion(tag)
			if err != nil {
				out.Unknown = fmt.Sprintf("tag %q is not a major.minor.patch version", tag)
				return out, nil
			}
			out.Parsed = v
			return out, nil
		}
	}
	return Image{}, ErrNotAController
}

// Issues returns the rows of controller that affect v.
func (t *Table) Issues(controller string, v versiontable.Version) []versiontable.Issue {
	for _, c := range t.Controllers {
		if c.Name == controller {
			return c.table.Affecting(v)
		}
	}
	return nil
}

// Split returns an image reference's repository path without the
// registry host and Docker Hub's "library/", and its tag (empty when
// none).
func Split(image string) (path, tag string) {
	ref, _, _ := strings.Cut(strings.TrimSpace(image), "@")
	slash := strings.LastIndexByte(ref, '/')
	if colon := strings.LastIndexByte(ref, ':'); colon > slash {
		ref, tag = ref[:colon], ref[colon+1:]
	}
	first, rest, ok := strings.Cut(ref, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		ref = rest
	}
	return strings.TrimPrefix(ref, "library/"), tag
}
