package terraform

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf16"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/layerkit/layerkit/internal/deploy"
)

// The resource types read.
const (
	functionType = "aws_lambda_function"
	layerType    = "aws_lambda_layer_version"
)

// ErrSeveral reports a folder holding more than one Terraform plan or
// state: which one to read is the user's choice.
var ErrSeveral = errors.New("more than one Terraform plan or state")

// Detect reports whether p, a folder or file the user named, holds this framework's output, recognised by
// content (never by a file name alone), and returns the root Read takes (for example the output folder
// inside a project folder). err is only for unreadable input; "not mine" is ok == false, err == nil.
//
// A file is Terraform's when it is a JSON object with format_version and
// terraform_version and either planned_values or resource_changes (a plan)
// or values (a state); root is then that file. A folder is when exactly one
// of the *.json files directly in it is; root is then that file. A folder
// holding several is an error wrapping ErrSeveral, naming them: guessing
// would check the wrong deployment. A file that does not start as a JSON
// object is not read whole; UTF-16 with a byte order mark is read too.
func Detect(p string) (root string, ok bool, err error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", false, err
	}
	if fi.IsDir() {
		return detectDir(p)
	}
	if !fi.Mode().IsRegular() {
		return "", false, fmt.Errorf("%s: not a regular file", p)
	}
	ok, err = isOutput(p)
	if err != nil || !ok {
		return "", false, err
	}
	return p, true, nil
}

// isOutput reports whether the regular file p is a plan or a state. A file
// that does not start as a JSON object (a zip, a template) is not read
// further.
func isOutput(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("reading %s: %w", p, err)
	}
	head = bytes.TrimLeft(text(head[:n]), " \t\r\n")
	if len(head) == 0 || head[0] != '{' {
		return false, nil
	}
	data, err := deploy.ReadFile(p)
	if err != nil {
		return false, err
	}
	return kindOf(data) != "", nil
}

// text is data as UTF-8: without a UTF-8 byte order mark, and decoded from
// UTF-16 when one says so (Windows PowerShell 5's > writes UTF-16).
func text(data []byte) []byte {
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(data, []byte{0xef, 0xbb, 0xbf}):
		return data[3:]
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		order = binary.LittleEndian
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		order = binary.BigEndian
	default:
		return data
	}
	units := make([]uint16, (len(data)-2)/2)
	for i := range units {
		units[i] = order.Uint16(data[2+2*i:])
	}
	return []byte(string(utf16.Decode(units)))
}

// detectDir looks for the one plan or state among the *.json files directly
// in dir. Files that are not regular (named pipes, devices) are passed over.
func detectDir(dir string) (string, bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false, err
	}
	var found []string
	for _, e := range entries {
		if !strings.EqualFold(filepath.Ext(e.Name()), ".json") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() > deploy.MaxTemplateBytes {
			continue
		}
		ok, err := isOutput(p)
		if err != nil {
			return "", false, err
		}
		if ok {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return "", false, nil
	case 1:
		return found[0], true, nil
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = filepath.Base(f)
	}
	return "", false, fmt.Errorf("%s: %w (%s): name the one to read", dir, ErrSeveral, strings.Join(names, ", "))
}

// The kinds of document kindOf tells apart.
const (
	kindPlan  = "plan"
	kindState = "state"
)

// probe is the least of a document that says what it is.
type probe struct {
	FormatVersion    string          `json:"format_version"`
	TerraformVersion string          `json:"terraform_version"`
	PlannedValues    json.RawMessage `json:"planned_values"`
	ResourceChanges  json.RawMessage `json:"resource_changes"`
	Values           json.RawMessage `json:"values"`
	// Errored is set on a plan Terraform saved although planning failed
	// (terraform-json does not read it).
	Errored bool `json:"errored"`
}

// kindOf says whether data is a plan, a state, or neither ("").
func kindOf(data []byte) string {
	k, _, _ := classify(data)
	return k
}

// classify is kindOf with what it read of the document, or the reason it
// is neither.
func classify(data []byte) (string, *probe, error) {
	trimmed := bytes.TrimSpace(text(data))
	if len(trimmed) == 0 {
		return "", nil, errors.New("empty")
	}
	if trimmed[0] != '{' {
		return "", nil, errors.New("not a JSON object")
	}
	var pr probe
	if err := json.Unmarshal(trimmed, &pr); err != nil {
		return "", nil, fmt.Errorf("not JSON Terraform writes: %w", err)
	}
	if pr.FormatVersion == "" || pr.TerraformVersion == "" {
		return "", nil, errors.New("no format_version and terraform_version: not written by terraform show -json")
	}
	switch {
	case present(pr.PlannedValues) || present(pr.ResourceChanges):
		return kindPlan, &pr, nil
	case present(pr.Values):
		return kindState, &pr, nil
	}
	return "", nil, errors.New("neither planned_values, resource_changes nor values")
}

func present(m json.RawMessage) bool {
	return len(m) > 0 && !bytes.Equal(m, []byte("null"))
}

// Read reads the output at root: every function it declares, in a stable order (sorted by ID).
//
// root is the plan or state file Detect returned (a folder is searched as
// Detect searches it). Code paths are resolved against, and confined to,
// the file's folder. opts is not used: a plan has its variables applied.
func Read(root string, opts deploy.Options) (*deploy.Project, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	file := root
	if fi.IsDir() {
		f, ok, err := detectDir(root)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s: %w", root, deploy.ErrNotRecognised)
		}
		file = f
	}
	data, err := deploy.ReadFile(file)
	if err != nil {
		return nil, err
	}
	data = text(data)
	kind, pr, err := classify(data)
	if err != nil {
		return nil, fmt.Errorf("%s: not a Terraform plan or state: %w", file, err)
	}
	proj := &deploy.Project{Framework: deploy.Terraform, Root: file}
	r := &reader{file: file, dir: filepath.Dir(file), resources: map[string]*resource{}, byARN: map[string]*resource{}, layersByName: map[string][]string{}}
	switch kind {
	case kindPlan:
		var p tfjson.Plan
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("reading the plan %s: %w", file, err)
		}
		if err := r.plan(&p); err != nil {
			return nil, err
		}
		if pr.Errored {
			proj.Notes = append(proj.Notes, "the plan errored: Terraform saved it although planning failed, and resources may be missing from it")
		}
		if p.Complete != nil && !*p.Complete {
			proj.Notes = append(proj.Notes, "the plan is incomplete (deferred changes): resources it defers are not in it")
		}
	case kindState:
		var s tfjson.State
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, fmt.Errorf("reading the state %s: %w", file, err)
		}
		if err := r.state(&s); err != nil {
			return nil, err
		}
		proj.Notes = append(proj.Notes, "a state, not a plan: functions as last applied")
	}
	proj.Notes = append(proj.Notes, "filename paths are read from the folder the plan or state is in, taken as the folder terraform ran in")
	for _, res := range r.order {
		if res.typ != functionType {
			continue
		}
		f, err := r.function(res)
		if err != nil {
			return nil, err
		}
		proj.Functions = append(proj.Functions, f)
	}
	slices.SortFunc(proj.Functions, func(a, b *deploy.Function) int { return strings.Compare(a.ID, b.ID) })
	return proj, nil
}
