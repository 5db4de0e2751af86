package sam

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/deploy/cfn"
)

// templateNames are the names SAM gives a template, in the order sam build
// looks for them; the built one is always template.yaml.
var templateNames = []string{"template.yaml", "template.yml", "template.json"}

// serverlessTransform is the transform every SAM template declares.
const serverlessTransform = "AWS::Serverless-2016-10-31"

// Detect reports whether p, a folder or file the user named, holds this
// framework's output, recognised by content (never by a file name alone),
// and returns the root Read takes (for example the output folder inside a
// project folder). err is only for unreadable input; "not mine" is ok ==
// false, err == nil.
//
// p may be a build folder (a SAM template inside), a project folder holding
// .aws-sam/build, the .aws-sam folder, or a template file; root is the
// folder that holds the template. A project folder that was not built has a
// SAM template too: it is recognised, and Read says that it reads sources.
func Detect(p string) (root string, ok bool, err error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", false, err
	}
	if !fi.IsDir() {
		yes, err := isTemplate(p)
		if err != nil || !yes {
			return "", false, err
		}
		return filepath.Dir(p), true, nil
	}
	candidates := []string{filepath.Join(p, ".aws-sam", "build")}
	if filepath.Base(p) == ".aws-sam" {
		candidates = append(candidates, filepath.Join(p, "build"))
	}
	candidates = append(candidates, p)
	for _, dir := range candidates {
		tmpl, err := findTemplate(dir)
		if err != nil {
			return "", false, err
		}
		if tmpl == "" {
			continue
		}
		if yes, err := isTemplate(tmpl); err != nil || yes {
			return dir, yes, err
		}
	}
	return "", false, nil
}

// findTemplate returns the template file in dir, or "" when dir is not a
// folder or holds none. A template that is not a regular file is returned:
// reading it is refused.
func findTemplate(dir string) (string, error) {
	for _, name := range templateNames {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err == nil {
			if fi.IsDir() {
				continue
			}
			return p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return "", err
		}
	}
	return "", nil
}

// isTemplate reports whether the file at p is a SAM template: a
// CloudFormation template with SAM's transform or a SAM resource. A file
// that does not parse as a template is not one; only an unreadable file is
// an error.
func isTemplate(p string) (bool, error) {
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Size() > deploy.MaxTemplateBytes {
		return false, nil // larger than any template
	}
	data, err := deploy.ReadFile(p)
	if err != nil {
		return false, err
	}
	t, err := cfn.Parse(data)
	if err != nil {
		return false, nil
	}
	return isSAM(t), nil
}

func isSAM(t *cfn.Template) bool {
	if slices.Contains(t.Transform, serverlessTransform) {
		return true
	}
	for _, r := range t.Resources {
		if strings.HasPrefix(r.Type, "AWS::Serverless::") {
			return true
		}
	}
	return false
}
