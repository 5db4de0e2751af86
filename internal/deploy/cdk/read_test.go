package cdk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/layerkit/layerkit/internal/deploy"
	"github.com/layerkit/layerkit/internal/deploy/cfn"
	"github.com/layerkit/layerkit/layers"
)

// oneStack is a manifest with one stack, S, whose template is
// S.template.json and whose assets are in S.assets.json.
const oneStack = `{"version":"55.0.0","artifacts":{
 "S.assets":{"type":"cdk:asset-manifest","properties":{"file":"S.assets.json"}},
 "S":{"type":"aws:cloudformation:stack","environment":"aws://123456789012/eu-west-1",
      "properties":{"templateFile":"S.template.json"},"displayName":"S"}}}`

// assembly writes a one-stack assembly with template into a temp folder,
// plus files, and returns the folder.
func assembly(t *testing.T, template string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{"manifest.json": oneStack, "S.template.json": template,
		"S.assets.json": `{"version":"55.0.0","files":{}}`}
	for k, v := range files {
		all[k] = v
	}
	writeTree(t, dir, all)
	return dir
}

// fnTemplate is a template with one function F whose properties are props
// and whose metadata is meta (JSON objects), and other resources.
func fnTemplate(props, meta, others string) string {
	if others != "" {
		others = "," + others
	}
	return fmt.Sprintf(`{"Resources":{"F":{"Type":"AWS::Lambda::Function","Properties":%s,"Metadata":%s}%s}}`,
		props, meta, others)
}

// readOne reads dir and returns its one function.
func readOne(t *testing.T, dir string, opts deploy.Options) *deploy.Function {
	t.Helper()
	p, err := Read(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Functions) != 1 {
		t.Fatalf("%d functions, want 1", len(p.Functions))
	}
	return p.Functions[0]
}

const (
	h1 = "1111111111111111111111111111111111111111111111111111111111111111"
	h2 = "2222222222222222222222222222222222222222222222222222222222222222"
)

func TestReadCode(t *testing.T) {
	for _, tc := range []struct {
		name    string
		props   string
		meta    string
		files   map[string]string
		path    string // relative to the assembly; "" for none
		missing string // a word Code.Missing holds
		note    string // a word a note holds
		pkg     string
	}{
		{name: "asset metadata", props: `{"Code":{"S3Bucket":"b","S3Key":"` + h1 + `.zip"},"Runtime":"python3.12","Handler":"app.handler"}`,
			meta: `{"aws:asset:path":"asset.` + h1 + `"}`, files: map[string]string{"asset." + h1 + "/app.py": ""},
			path: "asset." + h1},
		{name: "metadata preferred over the assets file",
			props: `{"Code":{"S3Bucket":"b","S3Key":"` + h2 + `.zip"},"Runtime":"python3.12","Handler":"app.handler"}`,
			meta:  `{"aws:asset:path":"asset.` + h1 + `"}`,
			files: map[string]string{"asset." + h1 + "/app.py": "", "asset." + h2 + "/app.py": "",
				"S.assets.json": `{"files":{"` + h2 + `":{"source":{"path":"asset.` + h2 + `","packaging":"zip"}}}}`},
			path: "asset." + h1},
		{name: "S3Key through the assets file",
			props: `{"Code":{"S3Bucket":{"Fn::Sub":"cdk-${AWS::AccountId}"},"S3Key":"` + h2 + `.zip"},"Runtime":"python3.12","Handler":"app.handler"}`,
			meta:  `{}`,
			files: map[string]string{"asset." + h2 + "/app.py": "",
				"S.assets.json": `{"files":{"` + h2 + `":{"source":{"path":"asset.` + h2 + `","packaging":"zip"}}}}`},
			path: "asset." + h2},
		{name: "a zip file asset",
			props: `{"Code":{"S3Bucket":"b","S3Key":"` + h2 + `.zip"},"Runtime":"python3.12","Handler":"app.handler"}`,
			meta:  `{"aws:asset:path":"asset.` + h2 + `.zip"}`,
			files: map[string]string{"asset." + h2 + ".zip": "PK\x05\x06" + strings.Repeat("\x00", 18)},
			path:  "asset." + h2 + ".zip"},
		{name: "asset folder not in the assembly",
			props:   `{"Code":{"S3Bucket":"b","S3Key":"` + h1 + `.zip"},"Runtime":"python3.12","Handler":"app.handler"}`,
			meta:    `{"aws:asset:path":"asset.` + h1 + `"}`,
			missing: "not in the assembly", note: "not in the assembly"},
		{name: "code only in S3", props: `{"Code":{"S3Bucket":"mybucket","S3Key":"code/fn.zip"},"Runtime":"python3.12","Handler":"app.handler"}`,
			meta: `{}`, missing: "s3://mybucket/code/fn.zip", note: "only in S3"},
		{name: "inline code", props: `{"Code":{"ZipFile":"def handler(e, c): pass"},"Runtime":"python3.12","Handler":"index.handler"}`,
			meta: `{}`, missing: "inline", note: "inline code"},
		{name: "image function", props: `{"Code":{"ImageUri":{"Fn::Sub":"${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/x:` + h1 + `"}},"PackageType":"Image"}`,
			meta:    `{"aws:asset:path":"asset.` + h1 + `","aws:asset:dockerfile-path":"Dockerfile"}`,
			missing: "image", note: "image", pkg: "Image"},
		{name: "no Code", props: `{"Runtime":"python3.12","Handler":"app.handler"}`, meta: `{}`, missing: "no Code", note: "no Code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := assembly(t, fnTemplate(tc.props, tc.meta, ""), tc.files)
			f := readOne(t, dir, deploy.Options{})
			want := ""
			if tc.path != "" {
				want = filepath.Join(dir, tc.path)
			}
			if f.Code.Path != want {
				t.Errorf("Code.Path = %q, want %q", f.Code.Path, want)
			}
			if !strings.Contains(f.Code.Missing, tc.missing) || (tc.missing == "") != (f.Code.Missing == "") {
				t.Errorf("Code.Missing = %q, want it to say %q", f.Code.Missing, tc.missing)
			}
			if !strings.Contains(strings.Join(f.Notes, "\n"), tc.note) || (tc.note == "") != (len(f.Notes) == 0) {
				t.Errorf("notes %q, want one saying %q", f.Notes, tc.note)
			}
			pkg := "Zip"
			if tc.pkg != "" {
				pkg = tc.pkg
			}
			if f.PackageType != pkg {
				t.Errorf("PackageType = %q, want %q", f.PackageType, pkg)
			}
		})
	}
}

func TestReadFunctionFields(t *testing.T) {
	tmpl := fnTemplate(`{
	  "FunctionName":{"Fn::Sub":"svc-${Stage}-${AWS::Region}"},
	  "Runtime":"nodejs22.x","Handler":"index.handler","Architectures":["arm64"],
	  "Code":{"S3Bucket":"b","S3Key":"`+h1+`.zip"},
	  "Environment":{"Variables":{"PLAIN":"v","ACCOUNT":{"Ref":"AWS::AccountId"},"STACK":{"Ref":"AWS::StackName"},"TABLE":{"Ref":"Table"},"N":3}}}`,
		`{"aws:asset:path":"asset.`+h1+`"}`,
		`"Table":{"Type":"AWS::DynamoDB::Table"}`)
	tmpl = strings.Replace(tmpl, `{"Resources"`, `{"Parameters":{"Stage":{"Type":"String","Default":"dev"}},"Resources"`, 1)
	dir := assembly(t, tmpl, map[string]string{"asset." + h1 + "/index.js": ""})
	f := readOne(t, dir, deploy.Options{Params: map[string]string{"Stage": "prod"}})
	if f.ID != "S/F" || f.Name != "svc-prod-eu-west-1" || f.Runtime != "nodejs22.x" || f.Handler != "index.handler" ||
		f.Arch != layers.ARM64 || f.Template != filepath.Join(dir, "S.template.json") {
		t.Errorf("function %+v", f)
	}
	if want := map[string]string{"PLAIN": "v", "ACCOUNT": "123456789012", "STACK": "S", "N": "3"}; !reflect.DeepEqual(f.Env, want) {
		t.Errorf("Env = %v, want %v", f.Env, want)
	}
	if want := []string{"environment variable TABLE is not known offline"}; !reflect.DeepEqual(f.Notes, want) {
		t.Errorf("notes %q, want %q", f.Notes, want)
	}
}

func TestReadArchitectures(t *testing.T) {
	for _, tc := range []struct {
		arches string
		want   layers.Arch
		note   string
	}{
		{"", layers.X86_64, ""},
		{`,"Architectures":["x86_64"]`, layers.X86_64, ""},
		{`,"Architectures":["arm64"]`, layers.ARM64, ""},
		{`,"Architectures":[{"Ref":"Arch"}]`, layers.X86_64, "not known offline"},
		{`,"Architectures":["sparc"]`, layers.X86_64, "not one Lambda runs"},
		{`,"Architectures":["arm64","x86_64"]`, layers.X86_64, "not one"},
	} {
		props := `{"Runtime":"python3.12","Handler":"a.h","Code":{"S3Bucket":"b","S3Key":"` + h1 + `.zip"}` + tc.arches + `}`
		dir := assembly(t, fnTemplate(props, `{"aws:asset:path":"asset.`+h1+`"}`, ""), map[string]string{"asset." + h1 + "/a.py": ""})
		f := readOne(t, dir, deploy.Options{})
		if f.Arch != tc.want || !strings.Contains(strings.Join(f.Notes, "\n"), tc.note) || (tc.note == "") != (len(f.Notes) == 0) {
			t.Errorf("%s: arch %s, notes %q; want %s and a note saying %q", tc.arches, f.Arch, f.Notes, tc.want, tc.note)
		}
	}
}

func TestReadLayers(t *testing.T) {
	tmpl := `{"Parameters":{"Partition":{"Type":"String","Default":"aws"},"Version":{"Type":"String"}},
	"Resources":{
	 "F":{"Type":"AWS::Lambda::Function","Properties":{"Runtime":"python3.12","Handler":"a.h",
	   "Code":{"S3Bucket":"b","S3Key":"` + h1 + `.zip"},
	   "Layers":[
	     {"Ref":"Deps"},
	     "arn:aws:lambda:eu-west-1:123456789012:layer:lit:1",
	     {"Fn::Join":[":",["arn",{"Ref":"Partition"},"lambda","eu-west-1","123456789012","layer","joined","2"]]},
	     {"Fn::Sub":"arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:layer:sub:3"},
	     {"Fn::Sub":"arn:aws:lambda:eu-west-1:123456789012:layer:v:${Version}"},
	     {"Ref":"Nowhere"},
	     {"Ref":"Table"},
	     "not-an-arn",
	     {"Ref":"Gone"}
	   ]},
	   "Metadata":{"aws:asset:path":"asset.` + h1 + `"}},
	 "Deps":{"Type":"AWS::Lambda::LayerVersion","Properties":{
	   "Content":{"S3Bucket":"b","S3Key":"` + h2 + `.zip"},
	   "CompatibleRuntimes":["python3.12","python3.13"],"CompatibleArchitectures":["arm64"]}},
	 "Gone":{"Type":"AWS::Lambda::LayerVersion","Properties":{"Content":{"S3Bucket":"b","S3Key":"` + h1 + h2 + `.zip"}}},
	 "Table":{"Type":"AWS::DynamoDB::Table"}}}`
	dir := assembly(t, tmpl, map[string]string{
		"asset." + h1 + "/a.py":                   "",
		"asset." + h2 + "/python/dep/__init__.py": "",
		"S.assets.json":                           `{"files":{"` + h2 + `":{"source":{"path":"asset.` + h2 + `","packaging":"zip"}}}}`,
	})
	f := readOne(t, dir, deploy.Options{})
	lit := "arn:aws:lambda:eu-west-1:123456789012:layer:lit:1"
	joined := "arn:aws:lambda:eu-west-1:123456789012:layer:joined:2"
	sub := "arn:aws:lambda:eu-west-1:123456789012:layer:sub:3"
	want := []*deploy.Layer{
		{ID: "S/Deps", Code: deploy.Code{Path: filepath.Join(dir, "asset."+h2)},
			CompatibleRuntimes: []string{"python3.12", "python3.13"}, CompatibleArchitectures: []layers.Arch{layers.ARM64}},
		{ID: lit, ARN: lit},
		{ID: joined, ARN: joined},
		{ID: sub, ARN: sub}, // the manifest's environment gives the account and region
		{ID: "S/Gone", Code: deploy.Code{Missing: "is only in S3 (s3://b/" + h1 + h2 + ".zip)"}},
	}
	if !reflect.DeepEqual(f.Layers, want) {
		for i, l := range f.Layers {
			t.Logf("layer %d: %+v", i, l)
		}
		t.Errorf("layers differ")
	}
	wantNotes := []string{
		`layer {"Fn::Sub":"arn:aws:lambda:eu-west-1:123456789012:layer:v:${Version}"} is not known offline`,
		`layer {"Ref":"Nowhere"} is not known offline`,
		"layer Table is of type AWS::DynamoDB::Table, not AWS::Lambda::LayerVersion",
		`layer "not-an-arn" is not an ARN`,
		"layer S/Gone: content is only in S3 (s3://b/" + h1 + h2 + ".zip)",
	}
	if !reflect.DeepEqual(f.Notes, wantNotes) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(f.Notes, "\n"), strings.Join(wantNotes, "\n"))
	}
}

// TestReadNestedStack reads a stack S that nests N.nested.template.json,
// found through its TemplateURL's hash, whose function G uses the parent's
// layer, an ARN and a resource that is no layer, each passed in as a
// parameter.
func TestReadNestedStack(t *testing.T) {
	parent := `{"Resources":{
	 "L":{"Type":"AWS::Lambda::LayerVersion","Properties":{"Content":{"S3Bucket":"b","S3Key":"` + h2 + `.zip"}},
	      "Metadata":{"aws:asset:path":"asset.` + h2 + `"}},
	 "N":{"Type":"AWS::CloudFormation::Stack","Properties":{
	   "Parameters":{"refL":{"Ref":"L"},"arnP":"arn:aws:lambda:eu-west-1:1:layer:p:1","unknown":{"Fn::GetAtt":["T","Arn"]}},
	   "TemplateURL":{"Fn::Join":["",["https://s3.",{"Ref":"AWS::Region"},".",{"Ref":"AWS::URLSuffix"},"/b/` + h1 + `.json"]]}}},
	 "T":{"Type":"AWS::SNS::Topic"}}}`
	child := `{"Parameters":{"refL":{"Type":"String"},"arnP":{"Type":"String"},"unknown":{"Type":"String"}},"Resources":{
	 "G":{"Type":"AWS::Lambda::Function","Properties":{"Runtime":"python3.12","Handler":"a.h",
	   "Code":{"S3Bucket":"b","S3Key":"` + h2 + `.zip"},"Layers":[{"Ref":"refL"},{"Ref":"arnP"},{"Ref":"unknown"}],
	   "Environment":{"Variables":{"REGION":{"Ref":"AWS::Region"},"STACK":{"Ref":"AWS::StackName"}}}},
	   "Metadata":{"aws:asset:path":"asset.` + h2 + `"}}}}`
	dir := assembly(t, parent, map[string]string{
		"N.nested.template.json": child,
		"asset." + h2 + "/a.py":  "",
		// no aws:asset:path on the nested stack: found through its TemplateURL
		"S.assets.json": `{"files":{"` + h1 + `":{"source":{"path":"N.nested.template.json","packaging":"file"}}}}`,
	})
	f := readOne(t, dir, deploy.Options{})
	arn := "arn:aws:lambda:eu-west-1:1:layer:p:1"
	want := []*deploy.Layer{{ID: "S/L", Code: deploy.Code{Path: filepath.Join(dir, "asset."+h2)}}, {ID: arn, ARN: arn}}
	if f.ID != "S/N/G" || f.Template != filepath.Join(dir, "N.nested.template.json") || !reflect.DeepEqual(f.Layers, want) {
		t.Errorf("function %+v, layers %+v %+v", f, f.Layers[0], f.Layers[1:])
	}
	// The region is the parent's; the stack name is the nested stack's own.
	if want := map[string]string{"REGION": "eu-west-1"}; !reflect.DeepEqual(f.Env, want) {
		t.Errorf("Env = %v, want %v", f.Env, want)
	}
	wantNotes := []string{"environment variable STACK is not known offline",
		"layer T is of type AWS::SNS::Topic, not AWS::Lambda::LayerVersion"}
	if !reflect.DeepEqual(f.Notes, wantNotes) {
		t.Errorf("notes %q, want %q", f.Notes, wantNotes)
	}
}

func TestReadStageDisplayNames(t *testing.T) {
	dir := t.TempDir()
	tmpl := fnTemplate(`{"Runtime":"python3.12","Handler":"a.h","Code":{"S3Bucket":"b","S3Key":"`+h1+`.zip"}}`,
		`{"aws:asset:path":"../../asset.`+h1+`"}`, "")
	writeTree(t, dir, map[string]string{
		"manifest.json": `{"version":"55.0.0","artifacts":{
		  "assembly-Prod":{"type":"cdk:cloud-assembly","properties":{"directoryName":"assembly-Prod","displayName":"Prod"}}}}`,
		"assembly-Prod/manifest.json": `{"version":"55.0.0","artifacts":{
		  "assembly-Prod-Blue":{"type":"cdk:cloud-assembly","properties":{"directoryName":"assembly-Prod-Blue","displayName":"Prod/Blue"}},
		  "ProdApi1234":{"type":"aws:cloudformation:stack","properties":{"templateFile":"api.json"},"displayName":"Prod/Api"}}}`,
		"assembly-Prod/api.json": strings.ReplaceAll(tmpl, "../../", "../"),
		"assembly-Prod/assembly-Prod-Blue/manifest.json": `{"version":"55.0.0","artifacts":{
		  "ProdBlueWeb":{"type":"aws:cloudformation:stack","properties":{"templateFile":"web.json"}}}}`,
		"assembly-Prod/assembly-Prod-Blue/web.json": tmpl,
		"asset." + h1 + "/a.py":                     "",
	})
	p, err := Read(dir, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range p.Functions {
		ids = append(ids, f.ID)
		if f.Code.Path != filepath.Join(dir, "asset."+h1) {
			t.Errorf("%s: Code.Path = %s", f.ID, f.Code.Path)
		}
	}
	if want := []string{"Prod/Api/F", "ProdBlueWeb/F"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("IDs %q, want %q", ids, want)
	}
	if root, ok, err := Detect(filepath.Join(dir, "assembly-Prod", "assembly-Prod-Blue")); err != nil || !ok || root != dir {
		t.Errorf("Detect of the innermost assembly = %q, %v, %v; want %q", root, ok, err, dir)
	}
}

func TestReadHostile(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"secret/app.py": ""})
	code := func(path string) string {
		return fnTemplate(`{"Runtime":"python3.12","Handler":"a.h","Code":{"S3Bucket":"b","S3Key":"`+h1+`.zip"}}`,
			fmt.Sprintf(`{"aws:asset:path":%q}`, path), "")
	}
	deep := strings.Repeat(`{"a":`, 500) + "1" + strings.Repeat("}", 500)
	for _, tc := range []struct {
		name     string
		template string
		files    map[string]string
		outside  bool   // the error wraps deploy.ErrOutsideRoot
		is       error  // the error wraps this
		says     string // the error says this
	}{
		{name: "code path ../../etc", template: code("../../etc"), outside: true},
		{name: "code path outside that does not exist", template: code("../../nowhere/at/all"), outside: true},
		{name: "absolute code path", template: code(filepath.Join(outside, "secret")), outside: true},
		{name: "absolute /etc", template: code("/etc"), outside: true},
		{name: "symlink leaving the root", template: code("asset.link"),
			files: map[string]string{"asset.link": "->" + filepath.Join(outside, "secret")}, outside: true},
		{name: "symlink in the path leaving the root", template: code("asset.link/app.py"),
			files: map[string]string{"asset.link": "->" + filepath.Join(outside, "secret")}, outside: true},
		{name: "layer content leaving the root", template: `{"Resources":{
		   "F":{"Type":"AWS::Lambda::Function","Properties":{"Layers":[{"Ref":"L"}],"Code":{"ZipFile":"x"}}},
		   "L":{"Type":"AWS::Lambda::LayerVersion","Properties":{"Content":{"S3Bucket":"b","S3Key":"k"}},"Metadata":{"aws:asset:path":"../x"}}}}`,
			outside: true},
		{name: "assets file naming a path leaving the root",
			template: fnTemplate(`{"Runtime":"python3.12","Handler":"a.h","Code":{"S3Bucket":"b","S3Key":"`+h1+`.zip"}}`, `{}`, ""),
			files:    map[string]string{"S.assets.json": `{"files":{"` + h1 + `":{"source":{"path":"../../etc","packaging":"zip"}}}}`},
			outside:  true},
		{name: "template not a mapping", template: `[1, 2, 3]`, says: "not a mapping"},
		{name: "template not JSON", template: `{"Resources": {`, says: "parsing"},
		{name: "template with no Resources", template: `{"Outputs":{}}`, says: "no Resources"},
		{name: "resource not a mapping", template: `{"Resources":{"F":"x"}}`, says: "not a mapping"},
		{name: "deep template", template: `{"Resources":{},"Metadata":` + deep + `}`, is: cfn.ErrTooDeep},
		{name: "template is a named pipe", template: "FIFO", says: "not a regular file"},
		{name: "asset is a named pipe", template: code("asset.fifo"), files: map[string]string{"asset.fifo": "FIFO"},
			says: "neither a folder nor a file"},
		{name: "nested stack nesting itself", template: `{"Resources":{"N":{"Type":"AWS::CloudFormation::Stack",
		   "Metadata":{"aws:asset:path":"S.template.json"}}}}`, says: "already inside"},
		{name: "nested stack template leaving the root", template: `{"Resources":{"N":{"Type":"AWS::CloudFormation::Stack",
		   "Metadata":{"aws:asset:path":"../../etc/passwd"}}}}`, outside: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := assembly(t, tc.template, nil)
			for name, content := range tc.files {
				p := filepath.Join(dir, name)
				if content == "FIFO" {
					if err := syscall.Mkfifo(p, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				writeTree(t, dir, map[string]string{name: content})
			}
			if tc.template == "FIFO" {
				p := filepath.Join(dir, "S.template.json")
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				if err := syscall.Mkfifo(p, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p, err := Read(dir, deploy.Options{})
			switch {
			case err == nil:
				t.Fatalf("Read: no error, project %+v", p)
			case tc.outside && !errors.Is(err, deploy.ErrOutsideRoot):
				t.Errorf("Read: %v; want ErrOutsideRoot", err)
			case tc.is != nil && !errors.Is(err, tc.is):
				t.Errorf("Read: %v; want %v", err, tc.is)
			case !strings.Contains(err.Error(), tc.says):
				t.Errorf("Read: %v; want it to say %q", err, tc.says)
			}
			if tc.outside && !strings.Contains(err.Error(), "S.template.json") && !strings.Contains(err.Error(), "assets.json") {
				t.Errorf("Read: %v; want it to name the template", err)
			}
		})
	}
}

func TestReadHostileManifest(t *testing.T) {
	tmpl := `{"Resources":{}}`
	for _, tc := range []struct {
		name     string
		manifest string
		outside  bool
		says     string
	}{
		{name: "templateFile leaving the root", outside: true,
			manifest: `{"version":"1","artifacts":{"S":{"type":"aws:cloudformation:stack","properties":{"templateFile":"../../etc/passwd"}}}}`},
		{name: "absolute templateFile", outside: true,
			manifest: `{"version":"1","artifacts":{"S":{"type":"aws:cloudformation:stack","properties":{"templateFile":"/etc/passwd"}}}}`},
		{name: "directoryName leaving the root", outside: true,
			manifest: `{"version":"1","artifacts":{"A":{"type":"cdk:cloud-assembly","properties":{"directoryName":"../.."}}}}`},
		{name: "asset manifest leaving the root", outside: true,
			manifest: `{"version":"1","artifacts":{"A":{"type":"cdk:asset-manifest","properties":{"file":"../x.assets.json"}}}}`},
		{name: "stack with no templateFile", says: "names no templateFile",
			manifest: `{"version":"1","artifacts":{"S":{"type":"aws:cloudformation:stack","properties":{}}}}`},
		{name: "properties of the wrong type", says: "artifact S: properties",
			manifest: `{"version":"1","artifacts":{"S":{"type":"aws:cloudformation:stack","properties":{"templateFile":7}}}}`},
		{name: "artifact not an object", says: "parsing",
			manifest: `{"version":"1","artifacts":{"S":"x"}}`},
		{name: "not a cloud assembly", says: "not a SAM, CDK",
			manifest: `{"version":1,"artifacts":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{"manifest.json": tc.manifest, "S.template.json": tmpl})
			p, err := Read(dir, deploy.Options{})
			switch {
			case err == nil:
				t.Fatalf("Read: no error, project %+v", p)
			case tc.outside && !errors.Is(err, deploy.ErrOutsideRoot):
				t.Errorf("Read: %v; want ErrOutsideRoot", err)
			case !strings.Contains(err.Error(), tc.says):
				t.Errorf("Read: %v; want it to say %q", err, tc.says)
			}
			if tc.outside && !strings.Contains(err.Error(), "manifest.json") {
				t.Errorf("Read: %v; want it to name the manifest", err)
			}
		})
	}
}

func TestReadCycles(t *testing.T) {
	// A Stage naming its own folder, and one naming the top assembly: each
	// assembly is read once.
	dir := t.TempDir()
	tmpl := fnTemplate(`{"Runtime":"python3.12","Handler":"a.h","Code":{"ZipFile":"x"}}`, `{}`, "")
	writeTree(t, dir, map[string]string{
		"manifest.json": `{"version":"1","artifacts":{
		  "Self":{"type":"cdk:cloud-assembly","properties":{"directoryName":"."}},
		  "A":{"type":"cdk:cloud-assembly","properties":{"directoryName":"assembly-A"}},
		  "S":{"type":"aws:cloudformation:stack","properties":{"templateFile":"S.template.json"}}}}`,
		"S.template.json": tmpl,
		"assembly-A/manifest.json": `{"version":"1","artifacts":{
		  "Up":{"type":"cdk:cloud-assembly","properties":{"directoryName":".."}}}}`,
	})
	p, err := Read(dir, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Functions) != 1 || len(p.Notes) != 2 {
		t.Errorf("%d functions, notes %q; want 1 and two notes of assemblies named twice", len(p.Functions), p.Notes)
	}
}

func TestReadFanOut(t *testing.T) {
	// Each template nests the next one twenty times: 20^4 stacks if read
	// whole. Read stops at maxTemplates.
	dir := t.TempDir()
	files := map[string]string{"manifest.json": oneStack}
	names := []string{"S.template.json", "a.json", "b.json", "c.json", "d.json"}
	for i, name := range names {
		var res []string
		if i+1 < len(names) {
			for j := range 20 {
				res = append(res, fmt.Sprintf(`"N%d":{"Type":"AWS::CloudFormation::Stack","Metadata":{"aws:asset:path":%q}}`, j, names[i+1]))
			}
		}
		files[name] = `{"Resources":{` + strings.Join(res, ",") + `}}`
	}
	writeTree(t, dir, files)
	_, err := Read(dir, deploy.Options{})
	if err == nil || !strings.Contains(err.Error(), "templates in one assembly") {
		t.Errorf("Read: %v; want the templates' bound", err)
	}
}

func TestReadManifestSymlinks(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"manifest.json": `{"version":"1","artifacts":{}}`})
	for name, files := range map[string]map[string]string{
		"top manifest": {"manifest.json": "->" + filepath.Join(outside, "manifest.json")},
		"Stage manifest": {
			"manifest.json":            `{"version":"1","artifacts":{"A":{"type":"cdk:cloud-assembly","properties":{"directoryName":"assembly-A"}}}}`,
			"assembly-A/manifest.json": "->" + filepath.Join(outside, "manifest.json"),
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, files)
			if _, err := Read(dir, deploy.Options{}); !errors.Is(err, deploy.ErrOutsideRoot) {
				t.Errorf("Read: %v; want ErrOutsideRoot", err)
			}
		})
	}
	if _, err := Read(t.TempDir(), deploy.Options{}); !errors.Is(err, deploy.ErrNotRecognised) {
		t.Errorf("Read of an empty folder: %v; want ErrNotRecognised", err)
	}
}

func TestReadMissingFields(t *testing.T) {
	dir := assembly(t, fnTemplate(`{"Code":{"ZipFile":"x"},"Runtime":{"Ref":"Rt"}}`, `{}`, ""), nil)
	f := readOne(t, dir, deploy.Options{})
	want := []string{"Runtime is not known offline", "no Handler", "inline code (Code.ZipFile) is not checked"}
	if !reflect.DeepEqual(f.Notes, want) {
		t.Errorf("notes %q, want %q", f.Notes, want)
	}
	dir = assembly(t, fnTemplate(`{"Code":{"ZipFile":"x"}}`, `{}`, ""), nil)
	f = readOne(t, dir, deploy.Options{})
	want = []string{"no Runtime", "no Handler", "inline code (Code.ZipFile) is not checked"}
	if !reflect.DeepEqual(f.Notes, want) {
		t.Errorf("notes %q, want %q", f.Notes, want)
	}
}

func TestReadProjectNotes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		manifest string
		template string
		note     string
	}{
		{name: "asset manifest not there", note: "asset manifest Gone.assets.json is not in the assembly",
			manifest: `{"version":"1","artifacts":{"A":{"type":"cdk:asset-manifest","properties":{"file":"Gone.assets.json"}},
			  "S":{"type":"aws:cloudformation:stack","properties":{"templateFile":"S.template.json"}}}}`},
		{name: "template not there", note: "stack T: template T.template.json is not in the assembly",
			manifest: `{"version":"1","artifacts":{"T":{"type":"aws:cloudformation:stack","properties":{"templateFile":"T.template.json"}}}}`},
		{name: "Stage folder not there", note: "nested assembly A (assembly-A) is not in the assembly",
			manifest: `{"version":"1","artifacts":{"A":{"type":"cdk:cloud-assembly","properties":{"directoryName":"assembly-A"}}}}`},
		{name: "nested stack template not there", note: "nested stack S/N: its template is not in the assembly",
			template: `{"Resources":{"N":{"Type":"AWS::CloudFormation::Stack","Properties":{"TemplateURL":"https://example.com/t.json"}}}}`},
		{name: "nested stack template named but not there", note: "nested stack S/N: its template is not in the assembly",
			template: `{"Resources":{"N":{"Type":"AWS::CloudFormation::Stack","Metadata":{"aws:asset:path":"N.nested.template.json"}}}}`},
		{name: "a SAM function", note: "S/F is a SAM function, not read from a CDK assembly",
			template: `{"Resources":{"F":{"Type":"AWS::Serverless::Function"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.manifest == "" {
				tc.manifest = `{"version":"1","artifacts":{"S":{"type":"aws:cloudformation:stack","properties":{"templateFile":"S.template.json"}}}}`
			}
			if tc.template == "" {
				tc.template = `{"Resources":{}}`
			}
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{"manifest.json": tc.manifest, "S.template.json": tc.template})
			p, err := Read(dir, deploy.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{tc.note}; !reflect.DeepEqual(p.Notes, want) {
				t.Errorf("notes %q, want %q", p.Notes, want)
			}
		})
	}
}
