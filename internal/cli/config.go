package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/internal/config"
)

// NewCmdConfig returns `layerkit config` with its subcommands schema and
// validate.
func NewCmdConfig(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with layerkit.yaml: print its JSON Schema, validate a file",
		Args:  maxArgs(0),
	}
	cmd.AddCommand(newCmdConfigSchema(f), newCmdConfigValidate(f))
	return cmd
}

func newCmdConfigSchema(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema (draft 2020-12) of layerkit.yaml",
		Long: `Schema prints the JSON Schema of layerkit.yaml, made from the types the
loader reads, for editors and CI. Editors that use yaml-language-server read it
from a first line such as:

  # yaml-language-server: $schema=` + config.SchemaID,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := config.Schema()
			if err != nil {
				return err
			}
			_, err = f.IO.Out.Write(s)
			return err
		},
	}
}

func newCmdConfigValidate(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check layerkit.yaml and list every problem at once",
		Long: `Validate loads FILE (default: layerkit.yaml or layerkit.yml in the current
folder) as build would, with the folders it names relative to FILE's folder,
and lists every problem at once. Exit 1 when there is one.`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := ""
			if len(args) == 1 {
				file = args[0]
			} else if file = config.Find("."); file == "" {
				return usageErrorf("no %s in this folder: name the file", config.FileNames[0])
			}
			c, err := config.Load(filepath.Dir(file), file)
			if err != nil {
				return err
			}
			for _, n := range c.Notes {
				fmt.Fprintf(f.IO.ErrOut, "layerkit: note: %s\n", n)
			}
			targets := 0
			for _, l := range c.Layers {
				targets += len(l.Targets)
			}
			_, err = fmt.Fprintf(f.IO.Out, "%s: valid: %s, %s\n", file, plural(len(c.Layers), "layer"), plural(targets, "target"))
			return err
		},
	}
}
