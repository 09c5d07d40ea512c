package server

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestOpenAPI checks docs/api/openapi.yaml against the router: the same
// paths and methods, every JSON success a report of the report schema and
// every error an Error. The handler tests check the bodies themselves
// against report.schema.json.
func TestOpenAPI(t *testing.T) {
	b, err := os.ReadFile("../docs/api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string                    `yaml:"openapi"`
		Paths      map[string]map[string]any `yaml:"paths"`
		Components struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema struct {
						Ref string `yaml:"$ref"`
					} `yaml:"schema"`
				} `yaml:"content"`
			} `yaml:"responses"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi %q, want 3.1", doc.OpenAPI)
	}
	var spec, router []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			spec = append(spec, strings.ToUpper(method)+" "+path)
			resp, _ := op.(map[string]any)["responses"].(map[string]any)
			for code, r := range resp {
				ref, _ := r.(map[string]any)["$ref"].(string)
				want := ""
				switch {
				case code == "200" && strings.HasSuffix(path, "/events"), code == "202" && method == "delete", code == "204":
				case code == "200" && path == "/api/v1/runs":
					want = "#/components/responses/Runs"
				case code == "200" && strings.Contains(path, "/diff/"):
					want = "#/components/responses/Diff"
				case code[0] == '2':
					want = "#/components/responses/Run"
				default:
					want = "#/components/responses/Error"
				}
				if want != "" && ref != want {
					t.Errorf("%s %s %s: response %q, want %q", method, path, code, ref, want)
				}
			}
		}
	}
	for _, name := range []string{"Runs", "Run", "Diff"} {
		if ref := doc.Components.Responses[name].Content["application/json"].Schema.Ref; ref != "../format/report.schema.json" {
			t.Errorf("response %s: schema %q, want the report schema", name, ref)
		}
	}
	for _, r := range routes {
		router = append(router, r.method+" "+r.path)
	}
	slices.Sort(spec)
	slices.Sort(router)
	if !slices.Equal(spec, router) {
		t.Errorf("openapi.yaml has\n%s\nthe router has\n%s", strings.Join(spec, "\n"), strings.Join(router, "\n"))
	}
}
