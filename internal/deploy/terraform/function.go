package terraform

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/layers"
)

// function reads one aws_lambda_function.
func (r *reader) function(res *resource) (*deploy.Function, error) {
	v, u := res.values, res.unknown
	f := &deploy.Function{
		ID:          res.addr,
		Template:    r.file,
		Name:        str(v["function_name"]),
		Runtime:     str(v["runtime"]),
		Handler:     str(v["handler"]),
		Arch:        layers.X86_64,
		PackageType: "Zip",
	}
	note := func(format string, a ...any) { f.Notes = append(f.Notes, fmt.Sprintf(format, a...)) }
	for _, k := range []string{"function_name", "runtime", "handler"} {
		if str(v[k]) == "" && isUnknown(u, k) {
			note("%s is known only at apply", k)
		}
	}

	switch archs := strs(v["architectures"]); {
	case len(archs) > 0:
		a, err := layers.ParseArch(archs[0])
		if err != nil {
			note("architecture %q is not one Lambda runs; read as x86_64", archs[0])
		} else {
			f.Arch = a
		}
	case isUnknown(u, "architectures") && r.configured(res, "architectures"):
		// Without architectures in the configuration the provider leaves
		// them to Lambda, which picks x86_64: unknown in the plan, not
		// unknown in fact.
		note("architectures are known only at apply; read as x86_64")
	}

	switch pt := str(v["package_type"]); pt {
	case "", "Zip":
	case "Image":
		f.PackageType = "Image"
	default:
		note("package_type %q is neither Zip nor Image; read as Zip", pt)
	}

	f.Env = env(v, u, note)

	switch filename, bucket := str(v["filename"]), str(v["s3_bucket"]); {
	case f.PackageType == "Image":
		image := str(v["image_uri"])
		if image == "" {
			image = "(known only at apply)"
		}
		f.Code.Missing = "a container image, not checked"
		note("an image function: its code is the container image %s, not checked", image)
	case filename != "":
		code, remark, err := r.zip(filename, str(v["source_code_hash"]))
		if err != nil {
			return nil, err
		}
		f.Code = code
		if remark != "" {
			note("%s", remark)
		}
	case bucket != "":
		f.Code.Missing = "code in S3, not checked"
		note("code in S3 (s3://%s/%s), not checked", bucket, str(v["s3_key"]))
	case isUnknown(u, "filename") || isUnknown(u, "s3_bucket") || isUnknown(u, "s3_key"):
		f.Code.Missing = "code known only at apply, not checked"
		note("its code (filename or s3_key) is known only at apply, not checked")
	default:
		f.Code.Missing = "no code in the plan"
		note("no filename, s3_bucket or image_uri: no code to check")
	}

	if err := r.layers(f, res, note); err != nil {
		return nil, err
	}
	return f, nil
}

// env reads environment[0].variables: the literal variables, and a note for
// those known only at apply.
func env(v, u map[string]any, note func(string, ...any)) map[string]string {
	var out map[string]string
	if blocks, _ := v["environment"].([]any); len(blocks) > 0 {
		block, _ := blocks[0].(map[string]any)
		vars, _ := block["variables"].(map[string]any)
		for k, x := range vars {
			s, ok := x.(string)
			if !ok {
				continue
			}
			if out == nil {
				out = map[string]string{}
			}
			out[k] = s
		}
	}
	uv := any(nil)
	switch e := u["environment"].(type) {
	case bool:
		uv = e
	case []any:
		if len(e) > 0 {
			if b, ok := e[0].(map[string]any); ok {
				uv = b["variables"]
			} else {
				uv = e[0]
			}
		}
	}
	switch uv := uv.(type) {
	case bool:
		if uv {
			note("its environment variables are known only at apply")
		}
	case map[string]any:
		var names []string
		for k, x := range uv {
			if anyTrue(x, 0) {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			note("environment variable %s is known only at apply", k)
		}
	}
	return out
}

// layers reads a function's layers, in order: a layer resource of the same
// plan or state when the ARN names one or, for an ARN known only at apply,
// when the configuration's references lead to one; the ARN alone otherwise.
func (r *reader) layers(f *deploy.Function, res *resource, note func(string, ...any)) error {
	v, u := res.values, res.unknown
	list, _ := v["layers"].([]any)
	if list == nil && isUnknown(u, "layers") {
		targets := r.layerRefs(res)
		if len(targets) == 0 {
			note("its layers are known only at apply and the configuration does not say which they are: not checked")
			return nil
		}
		note("its layers are known only at apply: read from the configuration's references (an ARN written there as a string is not seen)")
		for _, addr := range targets {
			l, err := r.layer(r.resources[addr], note)
			if err != nil {
				return err
			}
			f.Layers = append(f.Layers, l)
		}
		return nil
	}
	out := make([]*deploy.Layer, len(list))
	var pending []int
	for i, x := range list {
		switch x := x.(type) {
		case string:
			if x == "" {
				note("layer %d is an empty ARN: skipped", i+1)
			} else if lr := r.byARN[x]; lr != nil {
				l, err := r.layer(lr, note)
				if err != nil {
					return err
				}
				out[i] = l
			} else {
				out[i] = &deploy.Layer{ID: x, ARN: x}
			}
		case nil:
			pending = append(pending, i)
		default:
			note("layer %d is not an ARN: skipped", i+1)
		}
	}
	if len(pending) > 0 {
		// The elements known only at apply are the layers this plan
		// creates or replaces: their references, in order, say which.
		var targets []string
		for _, addr := range r.layerRefs(res) {
			if str(r.resources[addr].values["arn"]) == "" {
				targets = append(targets, addr)
			}
		}
		if len(targets) == len(pending) {
			for k, i := range pending {
				l, err := r.layer(r.resources[targets[k]], note)
				if err != nil {
					return err
				}
				out[i] = l
			}
		} else {
			for _, i := range pending {
				note("layer %d is known only at apply and the configuration does not say which aws_lambda_layer_version it is: not checked", i+1)
			}
		}
	}
	for _, l := range out {
		if l != nil {
			f.Layers = append(f.Layers, l)
		}
	}
	return nil
}

// layer reads one aws_lambda_layer_version for a function; what cannot be
// checked goes into the function's notes.
func (r *reader) layer(res *resource, note func(string, ...any)) (*deploy.Layer, error) {
	v, u := res.values, res.unknown
	l := &deploy.Layer{ID: res.addr, CompatibleRuntimes: strs(v["compatible_runtimes"])}
	name := res.addr
	if n := str(v["layer_name"]); n != "" {
		name = fmt.Sprintf("%s (%s)", res.addr, n)
	}
	for _, a := range strs(v["compatible_architectures"]) {
		pa, err := layers.ParseArch(a)
		if err != nil {
			note("layer %s: compatible architecture %q is not one Lambda runs: skipped", name, a)
			continue
		}
		l.CompatibleArchitectures = append(l.CompatibleArchitectures, pa)
	}
	switch filename, bucket := str(v["filename"]), str(v["s3_bucket"]); {
	case filename != "":
		code, remark, err := r.zip(filename, str(v["source_code_hash"]))
		if err != nil {
			return nil, err
		}
		l.Code = code
		if remark != "" {
			note("layer %s: %s", name, remark)
		}
	case bucket != "":
		l.Code.Missing = "code in S3, not checked"
		note("layer %s: code in S3 (s3://%s/%s), not checked", name, bucket, str(v["s3_key"]))
	case isUnknown(u, "filename") || isUnknown(u, "s3_bucket") || isUnknown(u, "s3_key"):
		l.Code.Missing = "code known only at apply, not checked"
		note("layer %s: its code is known only at apply, not checked", name)
	default:
		l.Code.Missing = "no code in the plan"
		note("layer %s: no filename or s3_bucket: no code to check", name)
	}
	return l, nil
}

// zip resolves a filename against the plan's folder, confined to it. A zip
// that is not on disk is not an error: tools such as
// terraform-aws-modules/lambda build it at apply. remark, when set, is the
// note that says so, or that the zip on disk is not the one planned.
func (r *reader) zip(filename, hash string) (code deploy.Code, remark string, err error) {
	code.InRequest = true
	p, err := deploy.Confine(r.dir, r.dir, filename, r.file)
	if err == nil {
		code.Path = p
		if differs(p, hash) {
			return code, fmt.Sprintf("%s is not the zip planned (its SHA-256 is not the plan's source_code_hash): built again since?", filename), nil
		}
		return code, "", nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return code, "", err
	}
	if err := confineMissing(r.dir, filename, r.file); err != nil {
		return code, "", err
	}
	code.Missing = "not built yet"
	return code, fmt.Sprintf("%s is not on disk: a zip built at apply, not checked", filename), nil
}

// confineMissing checks that a path that does not exist would still be
// inside root: cleaned, and with its deepest existing folder resolved.
func confineMissing(root, rel, decl string) error {
	p := filepath.FromSlash(rel)
	if !filepath.IsAbs(p) {
		p = filepath.Join(root, p)
	}
	p = filepath.Clean(p)
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	absP, err := filepath.Abs(p)
	if err != nil {
		return err
	}
	if !deploy.Within(absRoot, absP) {
		return fmt.Errorf("%s: code path %q is %w %s", decl, rel, deploy.ErrOutsideRoot, root)
	}
	realRoot, err := filepath.EvalSymlinks(absRoot)
	if err != nil {
		return err
	}
	for dir := filepath.Dir(absP); ; dir = filepath.Dir(dir) {
		real, err := filepath.EvalSymlinks(dir)
		if err == nil {
			if !deploy.Within(realRoot, real) {
				return fmt.Errorf("%s: code path %q resolves to %s, %w %s", decl, rel, real, deploy.ErrOutsideRoot, root)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: code path %q: %w", decl, rel, err)
		}
		if dir == absRoot || dir == filepath.Dir(dir) {
			return nil
		}
	}
}

// differs reports whether the regular file at p is not the one whose
// base64 SHA-256 is hash (Terraform's filebase64sha256). A hash that is not
// one, or a file that cannot be read, says nothing.
func differs(p, hash string) bool {
	want, err := base64.StdEncoding.DecodeString(hash)
	if err != nil || len(want) != sha256.Size {
		return false
	}
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	fh, err := os.Open(p)
	if err != nil {
		return false
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return false
	}
	return !slices.Equal(h.Sum(nil), want)
}
