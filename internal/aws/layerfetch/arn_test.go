package layerfetch

import (
	"errors"
	"strings"
	"testing"
)

func TestParseARN(t *testing.T) {
	good := []struct {
		in   string
		want ARN
	}{
		{"arn:aws:lambda:us-east-1:123456789012:layer:deps:3", ARN{"aws", "us-east-1", "123456789012", "deps", 3}},
		{"arn:aws-cn:lambda:cn-north-1:123456789012:layer:my_layer-2:1", ARN{"aws-cn", "cn-north-1", "123456789012", "my_layer-2", 1}},
		{"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:layer:x:999999999999999999", ARN{"aws-us-gov", "us-gov-west-1", "123456789012", "x", 999999999999999999}},
		{"arn:aws:lambda:ap-southeast-5:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:7",
			ARN{"aws", "ap-southeast-5", "017000801446", "AWSLambdaPowertoolsPythonV3-python312-arm64", 7}},
	}
	for _, tt := range good {
		got, err := ParseARN(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseARN(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		if got.String() != tt.in {
			t.Errorf("ParseARN(%q).String() = %q", tt.in, got.String())
		}
	}

	bad := []struct{ in, reason string }{
		{"", "want arn:"},
		{"deps:3", "want arn:"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f:1", "not a Lambda layer"},
		{"arn:aws:s3:us-east-1:123456789012:layer:deps:1", "not a Lambda layer"},
		{"arn:aws:lambda:us-east-1:123456789012:layer:deps", "no version"},
		{"arn:aws:lambda:us-east-1:123456789012:layer:deps:1:2", "want arn:"},
		{"arn:aws-iso:lambda:us-iso-east-1:123456789012:layer:deps:1", "partition"},
		{"arn:AWS:lambda:us-east-1:123456789012:layer:deps:1", "partition"},
		{"arn:aws:lambda:US-EAST-1:123456789012:layer:deps:1", "region"},
		{"arn:aws:lambda::123456789012:layer:deps:1", "region"},
		{"arn:aws:lambda:us-east-12:123456789012:layer:deps:1", "region"},
		{"arn:aws:lambda:cn-north-1:123456789012:layer:deps:1", "not in partition aws"},
		{"arn:aws-cn:lambda:us-east-1:123456789012:layer:deps:1", "not in partition aws-cn"},
		{"arn:aws-us-gov:lambda:us-east-1:123456789012:layer:deps:1", "not in partition aws-us-gov"},
		{"arn:aws:lambda:us-gov-west-1:123456789012:layer:deps:1", "not in partition aws"},
		{"arn:aws:lambda:us-east-1:12345678901:layer:deps:1", "12 digits"},
		{"arn:aws:lambda:us-east-1:12345678901a:layer:deps:1", "12 digits"},
		{"arn:aws:lambda:us-east-1:123456789012:layer::1", "layer name"},
		{"arn:aws:lambda:us-east-1:123456789012:layer:de.ps:1", "layer name"},
		{"arn:aws:lambda:us-east-1:123456789012:layer:" + strings.Repeat("n", 141) + ":1", "layer name"},
		{"arn:aws:lambda:us-east-1:123456789012:layer:deps:0", "version"},
		{"arn:aws:lambda:us-east-1:123456789012:layer:deps:01", "version"},
		{"arn:aws:lambda:us-east-1:123456789012:layer:deps:-1", "version"},
		{"arn:aws:lambda:us-east-1:123456789012:layer:deps:$LATEST", "version"},
		{"arn:aws:lambda:us-east-1:123456789012:layer:deps:1 ", "version"},
		{" arn:aws:lambda:us-east-1:123456789012:layer:deps:1", "want arn:"},
		{"arn:aws:lambda:us-east-1:123456789012:layer:deps:9999999999999999999", "version"},
	}
	for _, tt := range bad {
		_, err := ParseARN(tt.in)
		var ae *ARNError
		if !errors.As(err, &ae) || ae.ARN != tt.in || !strings.Contains(ae.Reason, tt.reason) {
			t.Errorf("ParseARN(%q) = %v; want an *ARNError saying %q", tt.in, err, tt.reason)
		}
	}
}

// FuzzParseARN checks that what ParseARN accepts it gives back unchanged
// by String, and that the layer ARN is a prefix of it.
func FuzzParseARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:lambda:us-east-1:123456789012:layer:deps:3",
		"arn:aws-cn:lambda:cn-north-1:123456789012:layer:x:1",
		"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:layer:x:12",
		"arn:aws:lambda:us-east-1:123456789012:layer:deps",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseARN(s)
		if err != nil {
			var ae *ARNError
			if !errors.As(err, &ae) {
				t.Fatalf("%q: %v is not an *ARNError", s, err)
			}
			return
		}
		if a.String() != s || !strings.HasPrefix(s, a.LayerARN()+":") || a.Version < 1 {
			t.Fatalf("%q parsed as %+v", s, a)
		}
	})
}
