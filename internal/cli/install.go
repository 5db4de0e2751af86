package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/spf13/cobra"

	"github.com/layerkit/layerkit/internal/config"
	"github.com/layerkit/layerkit/internal/install"
	"github.com/layerkit/layerkit/internal/lint"
	"github.com/layerkit/layerkit/internal/report"
	"github.com/layerkit/layerkit/internal/source"
	"github.com/layerkit/layerkit/layers"
)

// InstallOptions are the parsed flags of `layerkit install`.
type InstallOptions struct {
	IO      IOStreams
	Dir     string
	Config  string
	Targets []layers.Target
	Extra   []string
	// Toolchain cross-compiles npm addons for a target other than the
	// host (--cc, --cxx, --nodedir).
	Toolchain install.Toolchain
}

// NewCmdInstall returns `layerkit install`.
func NewCmdInstall(f *Factory, runF func(context.Context, *InstallOptions) error) *cobra.Command {
	opts := &InstallOptions{IO: f.IO}
	var targets []string
	cmd := &cobra.Command{
		Use:   "install [DIR] [--target RUNTIME-ARCH]... [-- EXTRA-ARGS]",
		Short: "Fill each runtime/arch layer folder from requirements.txt or package.json, for any target",
		Long: `Install fills the layer folders of the project in DIR (default: the current
folder) with dependencies built for each folder's target, not the host: pip
with the target's manylinux platform tags (every glibc its OS allows: 2.26 on
Amazon Linux 2, 2.34 on Amazon Linux 2023), CPython version and
--only-binary=:all:, into <folder>/python; npm with --os=linux --cpu and
--libc=glibc, --omit=dev, into <folder>/nodejs, with npm_config_arch,
npm_config_platform, npm_config_libc, npm_config_runtime and
npm_config_target set to the target's, so prebuild-install, node-pre-gyp
and node-gyp-build fetch the target's addon. uv replaces pip when it is
installed.

An npm package that would be compiled from source for another CPU or Node
version (a binding.gyp and no prebuilt binary for the target after install,
or an install script running node-gyp rebuild) is refused, naming it, unless
a cross toolchain is given: --cc and --cxx (compilers for the target's CPU)
and --nodedir (the Node headers of the target's Node version); then it is
compiled with them and its addon is checked. node-gyp's intermediates
(obj.target/, .deps/, *.o, test extensions) are removed.

Layers name their source in layerkit.yaml (install: {python: requirements.txt}
or {node: package.json}). Without a config every layers/<runtime>-<arch>/
folder is filled from the requirements.txt or package.json at DIR's root.

A package with no wheel for the target is an error naming the package and the
tags tried: layerkit never builds from source or falls back to the host's
arch. Installs run in parallel, each staged in the project's .layerkit/install
folder (outside every layer folder; a build never packages .layerkit) and
renamed in only on success, so a failure or Ctrl-C leaves the previous folder
as it was. Each filled folder is then checked ('layerkit check') for its
target.

Arguments after -- go to pip or npm as they are.`,
		Example: `  # Fill every layers/<runtime>-<arch>/ folder
  layerkit install

  # Only the arm64 target, from a local wheel folder
  layerkit install --target python3.12-arm64 -- --no-index --find-links ./wheels

  # Cross-compile npm addons for arm64 on an x86_64 host
  layerkit install --target nodejs22.x-arm64 --cc aarch64-linux-gnu-gcc --cxx aarch64-linux-gnu-g++ --nodedir ./node-v22.11.0

  # Through a private index
  layerkit install -- --index-url https://pypi.example.com/simple`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pos := args
			if at := cmd.ArgsLenAtDash(); at >= 0 {
				pos, opts.Extra = args[:at], args[at:]
			}
			if len(pos) > 1 {
				return usageErrorf("accepts at most 1 folder before --, received %d", len(pos))
			}
			opts.Dir = "."
			if len(pos) == 1 {
				opts.Dir = pos[0]
			}
			for _, s := range targets {
				t, err := layers.ParseTarget(s)
				if err != nil {
					return &UsageError{Err: fmt.Errorf("--target: %w", err)}
				}
				opts.Targets = append(opts.Targets, t)
			}
			tc := opts.Toolchain
			if (tc.CC == "") != (tc.CXX == "") {
				return usageErrorf("--cc and --cxx go together")
			}
			if tc.CC != "" && tc.NodeDir == "" {
				return usageErrorf("--cc and --cxx need --nodedir, the Node headers of the target's Node version")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return installRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "config", "c", "", "config file (default: DIR/layerkit.yaml, if present)")
	cmd.Flags().StringArrayVar(&targets, "target", nil, "only this target, such as python3.12-arm64 (repeatable)")
	cmd.Flags().StringVar(&opts.Toolchain.CC, "cc", "", "C compiler for the target's CPU, to compile npm addons for a foreign target")
	cmd.Flags().StringVar(&opts.Toolchain.CXX, "cxx", "", "C++ compiler for the target's CPU (with --cc)")
	cmd.Flags().StringVar(&opts.Toolchain.NodeDir, "nodedir", "", "Node headers of the target's Node version (a folder with include/node/), for node-gyp")
	return cmd
}

func installRun(ctx context.Context, opts *InstallOptions) error {
	cfg, err := config.Load(opts.Dir, opts.Config)
	if err != nil {
		return err
	}
	jobs, err := install.Plan(cfg, opts.Targets)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		src := j.Requirements
		if src == "" {
			src = j.PackageJSON
		}
		printLine(opts.IO.ErrOut, "installing %s for %s into %s", src, j.Target, j.Dir)
	}
	var mu sync.Mutex
	swept := func(path string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			printLine(opts.IO.ErrOut, "layerkit: warning: %s, left by an interrupted install, is still there: %v", path, err)
			return
		}
		printLine(opts.IO.ErrOut, "removed %s, left by an interrupted install", path)
	}
	results := install.Run(ctx, jobs, install.Options{Extra: opts.Extra, Swept: swept, Toolchain: opts.Toolchain})
	if err := ctx.Err(); err != nil {
		for _, r := range results {
			if r.Err == nil {
				printLine(opts.IO.ErrOut, "%s: installed into %s, not checked", r.Job.Target, r.Job.Dir)
			}
		}
		return fmt.Errorf("installing: %w", err)
	}
	failed := 0
	var findings []lint.Finding
	var targets []string
	artifacts, files := 0, 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			printLine(opts.IO.ErrOut, "layerkit: %s: %v", r.Job.Target, r.Err)
			continue
		}
		res, err := source.Run(ctx, source.Request{Paths: []string{r.Job.Dir}, Runtime: r.Job.Target.Runtime, Arch: r.Job.Target.Arch})
		if err != nil {
			return err
		}
		findings = append(findings, res.Findings...)
		targets = append(targets, r.Job.Target.String())
		artifacts += res.Artifacts
		files += res.Files
	}
	if len(targets) > 0 {
		rep := report.New(findings, artifacts, files, targets, lint.Error)
		if err := report.Text(opts.IO.Out, rep, report.TextOptions{Color: opts.IO.OutTTY, MoreHint: "layerkit check --verbose lists every finding"}); err != nil {
			return err
		}
		if failed == 0 && rep.Summary.Failed {
			return &FindingsError{Msg: "installed layers fail the check"}
		}
	}
	if failed > 0 {
		return errors.New(plural(failed, "install") + " failed; those layer folders were left as they were")
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
