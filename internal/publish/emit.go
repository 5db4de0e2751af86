package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode"

	"github.com/layerkit/layerkit/internal/atomicfile"
	"github.com/layerkit/layerkit/layers"
)

// EmitFormat names a form of the values an infrastructure-as-code tool
// needs after a publish.
type EmitFormat string

// The formats Emit writes.
const (
	// EmitTFVars is a Terraform variables file in JSON
	// (NAME.auto.tfvars.json): variables layerkit_layers and layerkit_code.
	EmitTFVars EmitFormat = "tfvars"
	// EmitSAM is one region's `sam deploy --parameter-overrides` values,
	// one KEY=VALUE a line.
	EmitSAM EmitFormat = "sam"
	// EmitCDK is a CDK context file: the key "layerkit" is set in it and
	// every other key kept, so it can be cdk.context.json itself.
	EmitCDK EmitFormat = "cdk"
)

// Emit is one file to write: a format and a path. A SAM path may hold
// "{region}", replaced by each region, since a SAM stack is deployed to one
// region.
type Emit struct {
	Format EmitFormat
	File   string
}

// ErrEmit is wrapped by the errors ParseEmit and Emit.Check return: the
// request itself is wrong (a usage error), not the publish.
var ErrEmit = errors.New("bad --emit")

// ParseEmit reads "FORMAT=FILE", such as "tfvars=layerkit.auto.tfvars.json".
func ParseEmit(s string) (Emit, error) {
	f, file, ok := strings.Cut(s, "=")
	e := Emit{Format: EmitFormat(f), File: file}
	switch {
	case !ok || file == "":
		return e, fmt.Errorf("%w %q: want FORMAT=FILE, such as tfvars=layerkit.auto.tfvars.json", ErrEmit, s)
	case e.Format != EmitTFVars && e.Format != EmitSAM && e.Format != EmitCDK:
		return e, fmt.Errorf("%w %q: format %q: want tfvars, sam or cdk", ErrEmit, s, f)
	case e.Format == EmitTFVars && !strings.HasSuffix(file, ".json"):
		// Terraform reads a variables file as JSON only by its name.
		return e, fmt.Errorf("%w %q: Terraform reads a variables file as JSON only when its name ends in .json: name it such as layerkit.auto.tfvars.json", ErrEmit, s)
	}
	return e, nil
}

// Check refuses a SAM file without "{region}" when there is more than one
// region to write.
func (e Emit) Check(regions []string) error {
	if e.Format == EmitSAM && len(regions) > 1 && !strings.Contains(e.File, "{region}") {
		return fmt.Errorf("%w sam=%s: a SAM stack is deployed to one region and %d are published: put {region} in the file name, such as sam-{region}.params", ErrEmit, e.File, len(regions))
	}
	return nil
}

// Files returns the paths Write writes for the regions: one per region for
// a SAM path with "{region}", else the path itself.
func (e Emit) Files(regions []string) []string {
	if e.Format != EmitSAM || !strings.Contains(e.File, "{region}") {
		return []string{e.File}
	}
	var out []string
	for _, r := range regions {
		out = append(out, strings.ReplaceAll(e.File, "{region}", r))
	}
	return out
}

// Handoff is what an infrastructure-as-code tool needs to point functions
// at a publish: per region, the layer version ARNs of each target, and
// where the function's code is.
type Handoff struct {
	// Regions are the regions published to, in the order asked.
	Regions []string
	// Layers maps a region, then a target ("python3.12-arm64"), to the
	// layer version ARNs built for that target, in the manifest's order:
	// the order a function attaches them in.
	Layers map[string]map[string][]string
	// Code maps a region to the function's code stored in a bucket there.
	// With one central bucket it has that bucket's region only.
	Code map[string]Code
}

// NewHandoff gathers a publish's results: the layer versions of rs and
// the code locations of code for the manifest's function artifact. A dry
// run's results, which have no version ARNs, give no layers.
func NewHandoff(m *layers.Manifest, regions []string, rs []Result, code []Code) Handoff {
	h := Handoff{Regions: regions, Layers: map[string]map[string][]string{}, Code: map[string]Code{}}
	for _, a := range m.Artifacts {
		if a.Kind != layers.KindLayer {
			continue
		}
		for _, r := range rs {
			if r.Artifact != ArtifactID(a) || r.VersionARN == "" {
				continue
			}
			if h.Layers[r.Region] == nil {
				h.Layers[r.Region] = map[string][]string{}
			}
			t := a.Target().String()
			h.Layers[r.Region][t] = append(h.Layers[r.Region][t], r.VersionARN)
		}
	}
	if fn, ok := m.Function(); ok {
		for _, c := range code {
			if c.Name == fn.Name && c.Region != "" {
				h.Code[c.Region] = c
			}
		}
	}
	return h
}

// tfCode is one region's entry of layerkit_code, named as the arguments
// of aws_lambda_function it feeds.
type tfCode struct {
	S3Bucket        string  `json:"s3_bucket"`
	S3Key           string  `json:"s3_key"`
	S3ObjectVersion *string `json:"s3_object_version"`
	SourceCodeHash  string  `json:"source_code_hash"`
}

// TFVarsNames are the variables TFVars sets; a module reading the file
// declares them.
var TFVarsNames = []string{"layerkit_layers", "layerkit_code"}

// TFVars returns a Terraform variables file in JSON:
//
//	layerkit_layers: map(map(list(string))), region -> target -> ARNs
//	layerkit_code:   map(object({s3_bucket, s3_key, s3_object_version,
//	                 source_code_hash})), region -> code location
//
// source_code_hash is the base64 SHA-256 aws_lambda_function compares with
// Lambda's CodeSha256; s3_object_version is null on an unversioned bucket.
func (h Handoff) TFVars() ([]byte, error) {
	code := map[string]tfCode{}
	for r, c := range h.Code {
		tc := tfCode{S3Bucket: c.Bucket, S3Key: c.Key, SourceCodeHash: c.CodeSHA256}
		if c.VersionID != "" {
			tc.S3ObjectVersion = &c.VersionID
		}
		code[r] = tc
	}
	return marshal(map[string]any{"layerkit_layers": h.Layers, "layerkit_code": code})
}

// SAMParameters returns one region's parameter overrides, one KEY=VALUE a
// line, for `sam deploy --parameter-overrides $(cat FILE)` or a
// samconfig.toml:
//
//	LayerkitLayers<Target>=ARN,ARN  (a CommaDelimitedList; target
//	                                 python3.12-arm64 is Python312Arm64)
//	LayerkitCodeKey=KEY             (the same in every region)
//	LayerkitCodeBucket=BUCKET       (when the code is in a bucket there)
//	LayerkitCodeVersion=ID          (when that bucket is versioned)
//
// A value with white space, which the parameter syntax cannot carry
// unquoted, is an error.
func (h Handoff) SAMParameters(region string) ([]byte, error) {
	var b bytes.Buffer
	add := func(k, v string) error {
		if strings.ContainsFunc(v, unicode.IsSpace) || v == "" {
			return fmt.Errorf("SAM parameter %s: %q: a parameter override cannot carry an empty value or white space", k, v)
		}
		fmt.Fprintf(&b, "%s=%s\n", k, v)
		return nil
	}
	targets := h.Layers[region]
	for _, t := range sortedKeys(targets) {
		if err := add("LayerkitLayers"+samName(t), strings.Join(targets[t], ",")); err != nil {
			return nil, err
		}
	}
	c, here := h.Code[region]
	if !here {
		// The key is the content's name, the same in every bucket (a
		// replica of a central bucket holds it under the same key).
		for _, r := range sortedKeys(h.Code) {
			c = h.Code[r]
			break
		}
	}
	if c.Key != "" {
		if err := add("LayerkitCodeKey", c.Key); err != nil {
			return nil, err
		}
	}
	if here {
		if err := add("LayerkitCodeBucket", c.Bucket); err != nil {
			return nil, err
		}
		if c.VersionID != "" {
			if err := add("LayerkitCodeVersion", c.VersionID); err != nil {
				return nil, err
			}
		}
	}
	return b.Bytes(), nil
}

// samName turns a target into a CloudFormation parameter name part
// (letters and digits only): "python3.12-arm64" -> "Python312Arm64".
func samName(t string) string {
	var b strings.Builder
	up := true
	for _, r := range t {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if up {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			up = false
		case r == '-' || r == '_':
			up = true
		}
	}
	return b.String()
}

// cdkCode is one region's code location, named as
// lambda.Code.fromBucket's arguments.
type cdkCode struct {
	Bucket        string `json:"bucket"`
	Key           string `json:"key"`
	ObjectVersion string `json:"objectVersion,omitempty"`
	CodeSha256    string `json:"codeSha256"`
}

// CDKContext returns the context file existing (nil when there is none)
// with its key "layerkit" set to
//
//	{"layers": {region: {target: [ARN, …]}}, "code": {region: {bucket, key, objectVersion, codeSha256}}}
//
// and every other key kept, so the file may be the app's cdk.context.json,
// which the CDK reads by itself (this.node.tryGetContext("layerkit")).
func (h Handoff) CDKContext(existing []byte) ([]byte, error) {
	doc := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(existing)) > 0 {
		if err := json.Unmarshal(existing, &doc); err != nil {
			return nil, fmt.Errorf("reading the context file: %w", err)
		}
	}
	code := map[string]cdkCode{}
	for r, c := range h.Code {
		code[r] = cdkCode{Bucket: c.Bucket, Key: c.Key, ObjectVersion: c.VersionID, CodeSha256: c.CodeSHA256}
	}
	v, err := json.Marshal(map[string]any{"layers": h.Layers, "code": code})
	if err != nil {
		return nil, err
	}
	doc["layerkit"] = v
	return marshal(doc)
}

// Write writes e's files atomically (internal/atomicfile): a reader sees
// the old file or the new one, never a part. It returns the paths written.
func (e Emit) Write(h Handoff) ([]string, error) {
	if err := e.Check(h.Regions); err != nil {
		return nil, err
	}
	var written []string
	write := func(path string, content func() ([]byte, error)) error {
		b, err := content()
		if err == nil {
			err = atomicfile.WriteFile(path, b, 0o644)
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		written = append(written, path)
		return nil
	}
	switch e.Format {
	case EmitTFVars:
		return written, write(e.File, h.TFVars)
	case EmitCDK:
		return written, write(e.File, func() ([]byte, error) {
			old, err := os.ReadFile(e.File)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			return h.CDKContext(old)
		})
	case EmitSAM:
		for _, region := range h.Regions {
			path := strings.ReplaceAll(e.File, "{region}", region)
			if err := write(path, func() ([]byte, error) { return h.SAMParameters(region) }); err != nil {
				return written, err
			}
		}
		return written, nil
	}
	return nil, fmt.Errorf("%w: format %q: want tfvars, sam or cdk", ErrEmit, e.Format)
}

func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
