package serverless

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/deploy/cfn"
)

// The files `serverless package` writes that this package reads.
const (
	outputDir    = ".serverless"
	templateFile = "cloudformation-template-update-stack.json"
	stateFile    = "serverless-state.json"
)

// Detect reports whether p, a folder or file the user named, holds this
// framework's output, recognised by content (never by a file name alone),
// and returns the root Read takes (for example the output folder inside a
// project folder). err is only for unreadable input; "not mine" is ok ==
// false, err == nil.
//
// p may be the .serverless folder, the project folder holding it, or the
// template or state file inside it. The folder is the framework's when its
// cloudformation-template-update-stack.json is a template with a Lambda
// function or layer whose S3 key is a folder path ending in .zip (the
// framework's <prefix>/<service>/<stage>/<timestamp>/<file>.zip), or when
// its serverless-state.json is an object with "service" and "package".
func Detect(p string) (root string, ok bool, err error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", false, err
	}
	if !fi.IsDir() {
		base := filepath.Base(p)
		if base != templateFile && base != stateFile {
			return "", false, nil
		}
		dir := filepath.Dir(p)
		ok, err := holdsOutput(dir)
		if err != nil || !ok {
			return "", false, err
		}
		return dir, true, nil
	}
	inner := filepath.Join(p, outputDir)
	if fi, err := os.Stat(inner); err == nil && fi.IsDir() {
		ok, err := holdsOutput(inner)
		if err != nil {
			return "", false, err
		}
		if ok {
			return inner, true, nil
		}
	}
	ok, err = holdsOutput(p)
	if err != nil || !ok {
		return "", false, err
	}
	return p, true, nil
}

// holdsOutput reports whether dir holds the framework's template or state.
func holdsOutput(dir string) (bool, error) {
	data, err := readIn(dir, templateFile)
	if err != nil {
		return false, err
	}
	if data != nil {
		if t, err := cfn.Parse(data); err == nil && frameworkShaped(t) {
			return true, nil
		}
	}
	data, err = readIn(dir, stateFile)
	if err != nil || data == nil {
		return false, err
	}
	_, ok, err := parseState(data)
	return ok && err == nil, nil
}

// readIn reads dir/name, confined to dir; nil, nil when there is no such
// file.
func readIn(dir, name string) ([]byte, error) {
	p := filepath.Join(dir, name)
	if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if _, err := deploy.Confine(dir, dir, name, p); err != nil {
		return nil, err
	}
	return deploy.ReadFile(p)
}

// frameworkShaped reports whether t declares a Lambda function or layer
// whose code is an S3 key of the framework's shape.
func frameworkShaped(t *cfn.Template) bool {
	for _, r := range t.Resources {
		var code map[string]any
		switch r.Type {
		case functionType:
			code, _ = r.Properties["Code"].(map[string]any)
		case layerType:
			code, _ = r.Properties["Content"].(map[string]any)
		default:
			continue
		}
		if k, ok := code["S3Key"].(string); ok && strings.HasSuffix(k, ".zip") && strings.Contains(k, "/") {
			return true
		}
	}
	return false
}
