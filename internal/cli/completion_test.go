package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// completions runs cobra's hidden __complete command, as the shell scripts
// of `layerkit completion` do, and returns the values offered.
func completions(t *testing.T, args ...string) []string {
	t.Helper()
	r := runCLI(t, nil, append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatalf("__complete %v: %+v", args, r)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if strings.HasPrefix(l, ":") {
			break // the directive
		}
		v, _, _ := strings.Cut(l, "\t")
		out = append(out, v)
	}
	return out
}

func TestCompletion(t *testing.T) {
	has := func(what string, got []string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: %q not offered in %v", what, w, got)
			}
		}
	}
	has("check --runtime", completions(t, "check", "--runtime", ""), "python3.12", "nodejs20.x", "provided.al2023")
	if got := completions(t, "check", "--arch", ""); !slices.Equal(got, []string{"x86_64", "arm64"}) {
		t.Errorf("check --arch: %v", got)
	}
	if got := completions(t, "check", "--format", ""); !slices.Equal(got, checkFormats) {
		t.Errorf("check --format: %v, want %v", got, checkFormats)
	}
	has("scan --format", completions(t, "scan", "--format", ""), "text", "json", "csv")
	has("check --fail-on", completions(t, "check", "--fail-on", ""), "error", "warning", "note")
	has("explain", completions(t, "explain", ""), "LK101", "LK170")
	if got := completions(t, "explain", "LK101", ""); len(got) != 0 {
		t.Errorf("explain takes one rule; offered %v after it", got)
	}
	t.Chdir(example(t))
	if got := completions(t, "install", "--target", ""); !slices.Equal(got, []string{"python3.9-x86_64", "python3.12-arm64"}) {
		t.Errorf("install --target in the example: %v", got)
	}
	t.Chdir(t.TempDir())
	has("install --target without a project", completions(t, "install", "--target", ""), "python3.12-arm64", "nodejs22.x-x86_64")
}

// Every --format flag's help lists its formats in the form completion
// reads, the default among them.
func TestEveryFormatFlagCompletes(t *testing.T) {
	root := NewCmdRoot(&Factory{})
	for _, c := range allCommands(root) {
		fl := c.Flags().Lookup("format")
		if fl == nil {
			continue
		}
		fs := formatsIn(fl.Usage)
		if len(fs) < 2 || !slices.Contains(fs, fl.DefValue) {
			t.Errorf("%s --format: help %q gives formats %v (default %q)", c.CommandPath(), fl.Usage, fs, fl.DefValue)
		}
	}
}

func allCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, s := range c.Commands() {
		out = append(out, allCommands(s)...)
	}
	return out
}
