package cli

import (
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/layers"
)

// registerCompletions teaches shell completion (layerkit completion bash,
// zsh, fish, powershell) the values flags take, by flag name across every
// command: runtimes for --runtime, --from and --to; x86_64 and arm64 for
// --arch; the formats a command's --format help lists; the project's
// targets for --target; severities for --fail-on; rule IDs for explain.
func registerCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(fl *pflag.Flag) {
			if fn := flagCompletion(fl); fn != nil {
				_ = c.RegisterFlagCompletionFunc(fl.Name, fn)
			}
		})
		if c.Name() == "explain" && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = completeRules
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

type completionFunc = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective)

func fixed(values ...string) completionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

func flagCompletion(fl *pflag.Flag) completionFunc {
	switch fl.Name {
	case "runtime", "from", "to":
		if fl.Name != "runtime" && !strings.Contains(fl.Usage, "runtime") {
			return nil
		}
		return completeRuntimes
	case "arch":
		return fixed(string(layers.X86_64), string(layers.ARM64))
	case "fail-on":
		return fixed(lint.Error.String(), lint.Warning.String(), lint.Note.String())
	case "format":
		if fs := formatsIn(fl.Usage); len(fs) > 0 {
			return fixed(fs...)
		}
	case "target":
		return completeTargets
	case "framework":
		return fixed(deploy.Frameworks...)
	}
	return nil
}

// formatWords finds the list of a --format flag's help ("output format:
// text, json or csv").
var formatWords = regexp.MustCompile(`format: ([a-z0-9]+(?:(?:, | or )[a-z0-9]+)*)`)

// formatsIn returns the formats a --format flag's help lists, so the help
// and the completion cannot disagree.
func formatsIn(usage string) []string {
	m := formatWords.FindStringSubmatch(usage)
	if m == nil {
		return nil
	}
	return strings.FieldsFunc(strings.ReplaceAll(m[1], " or ", ", "), func(r rune) bool { return r == ',' || r == ' ' })
}

func completeRuntimes(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, r := range layers.Runtimes() {
		out = append(out, cobra.CompletionWithDesc(r.ID, r.Name))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeTargets offers the targets of the project in the current folder
// (layerkit.yaml or the folder convention); without one, every runtime
// and architecture a layer can be built for.
func completeTargets(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	if c, err := config.Load(".", ""); err == nil {
		for _, name := range c.LayerNames() {
			for _, ts := range c.Layers[name].Targets {
				if t := ts.Target().String(); !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
	}
	if len(out) == 0 {
		for _, r := range layers.Runtimes() {
			if r.Package == "container-only" {
				continue
			}
			for _, a := range r.Architectures {
				out = append(out, layers.Target{Runtime: r.ID, Arch: a}.String())
			}
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func completeRules(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, r := range lint.Rules() {
		out = append(out, cobra.CompletionWithDesc(r.ID, r.Name+": "+r.Summary))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
