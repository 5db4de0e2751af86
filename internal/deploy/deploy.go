// Package deploy reads what deployment frameworks leave on disk (SAM's
// .aws-sam/build, CDK's cdk.out, the Serverless Framework's .serverless,
// a Terraform plan or state as JSON) and says, for every function they
// declare, what Lambda will run: its target, its handler and environment,
// where its code is, and its layers in order.
//
// Readers live in subpackages, one per framework; each returns a Project.
// Nothing here reads the code itself: package source loads the folders and
// zips a Project names and checks them.
package deploy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/layerkit/layerkit/layers"
)

// The frameworks layerkit reads.
const (
	SAM        = "sam"
	CDK        = "cdk"
	Serverless = "serverless"
	Terraform  = "terraform"
)

// Frameworks lists the framework names, for flags and messages.
var Frameworks = []string{SAM, CDK, Serverless, Terraform}

// Project is everything one framework's output declares.
type Project struct {
	// Framework is one of the framework names above.
	Framework string
	// Root is the folder (or, for Terraform, the plan file) that was read.
	Root      string
	Functions []*Function
	// Notes say what was assumed or skipped for the project as a whole.
	Notes []string
}

// Function is one function as its template declares it, with everything
// resolved that can be resolved offline.
type Function struct {
	// ID names the function uniquely within the project: "Stack/LogicalID"
	// for CloudFormation-based frameworks, the resource address for
	// Terraform.
	ID string
	// Name is the FunctionName when the template sets it to a literal.
	Name string
	// Template is the file that declares the function: function-level
	// findings point at it.
	Template string
	Runtime  string
	// Arch is the function's architecture; x86_64 when the template does
	// not say, as on Lambda.
	Arch    layers.Arch
	Handler string
	// PackageType is "Zip" or "Image".
	PackageType string
	// Env is the function's environment variables that resolved to
	// literals.
	Env map[string]string
	// Code is the function's code; Code.Path is empty for image functions,
	// inline code and code only in S3.
	Code   Code
	Layers []*Layer
	// EphemeralStorage is the size of the function's /tmp in MB
	// (EphemeralStorage.Size); 0 when the template does not set it to a
	// literal, which on Lambda means 512.
	EphemeralStorage int
	// Notes say what was assumed or could not be checked for this function.
	Notes []string
}

// EphemeralStorageMB reads a function's EphemeralStorage property ({"Size":
// MB}) through resolve, which gives a value's literal string; 0 when the
// property is absent, not known offline or not a whole number.
func EphemeralStorageMB(prop any, resolve func(any) (string, bool)) int {
	m, _ := prop.(map[string]any)
	if m == nil {
		return 0
	}
	s, ok := resolve(m["Size"])
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// Code is where an artifact's content is on disk.
type Code struct {
	// Path is a folder or zip on disk, confined to the project's root;
	// empty when there is none to read.
	Path string
	// InRequest is set when the zip goes in the CreateFunction or
	// PublishLayerVersion request itself (Terraform's filename), so the
	// 50 MB direct-upload limit applies.
	InRequest bool
	// Missing says why Path is empty (a zip a plan names that is not built
	// yet, code only in S3); empty when Path is set.
	Missing string
}

// Layer is one layer a function uses, in the order the function lists it.
type Layer struct {
	// ID is the layer's logical ID or resource address, or its ARN when
	// it is given only as one.
	ID string
	// ARN is set when the layer is given only as an ARN: its content is
	// not in the framework's output. Readers leave noting it to the
	// checker, which may fetch it.
	ARN  string
	Code Code
	// BuildArch is the architecture the framework built the layer for
	// (SAM's Metadata.BuildArchitecture); empty when the framework does
	// not build layers for one.
	BuildArch layers.Arch
	// CompatibleRuntimes and CompatibleArchitectures are what the layer
	// declares.
	CompatibleRuntimes      []string
	CompatibleArchitectures []layers.Arch
}

// ErrOutsideRoot reports a code path in a template that leaves the
// project's root: a template is input like any other and may be hostile.
var ErrOutsideRoot = errors.New("outside the folder the output must stay in")

// ErrNotRecognised reports a path that holds none of the frameworks'
// outputs.
var ErrNotRecognised = errors.New("not a SAM, CDK, Serverless Framework or Terraform output")

// Confine resolves rel (relative to base, or absolute) and checks that it
// stays inside root once symlinks are followed. base and root are folders;
// decl names the template, for the error.
func Confine(root, base, rel, decl string) (string, error) {
	if rel == "" {
		return "", fmt.Errorf("%s: empty code path", decl)
	}
	p := rel
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, filepath.FromSlash(rel))
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("%s: code path %q: %w", decl, rel, err)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	if !Within(realRoot, real) {
		return "", fmt.Errorf("%s: code path %q resolves to %s, %w (%s)", decl, rel, real, ErrOutsideRoot, root)
	}
	return p, nil
}

// Within reports whether p is root or inside it; both are clean absolute
// paths.
func Within(root, p string) bool {
	r, err := filepath.Rel(root, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

// MaxTemplateBytes bounds a template, manifest or plan read whole: the
// largest CloudFormation template Lambda's tools deploy is 1 MB (S3-hosted
// templates), and plans of big configurations reach tens of MB.
const MaxTemplateBytes = 64 << 20

// ReadFile reads a regular file of at most MaxTemplateBytes, refusing
// anything else (a named pipe, a device) before it is opened.
func ReadFile(p string) ([]byte, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxTemplateBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if len(data) > MaxTemplateBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes, more than any template or plan", p, MaxTemplateBytes)
	}
	return data, nil
}

// Options are what a reader needs beyond the path it reads.
type Options struct {
	// Params overrides template parameters' defaults (--parameter K=V);
	// Terraform reads none.
	Params map[string]string
}
