package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"

	"github.com/layerkit/layerkit/internal/publish"
)

// fakeAWS starts a loopback HTTP server answering every AWS request with
// answer, gives the process made-up static credentials, and returns the
// environment that points layerkit's commands at the server.
func fakeAWS(t *testing.T, answer http.HandlerFunc) map[string]string {
	t.Helper()
	srv := httptest.NewServer(answer)
	t.Cleanup(srv.Close)
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_PROFILE": "", "AWS_CA_BUNDLE": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "", "AWS_REGION": "us-east-1"} {
		t.Setenv(k, v)
	}
	return map[string]string{"AWS_ENDPOINT_URL": srv.URL}
}

// awsError answers as Lambda does when it refuses a call: the error code
// in X-Amzn-ErrorType and a JSON body.
func awsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"Type":"User","message":%q}`, msg)
}

// TestAWSTroubleExits4 runs every kind of AWS command against a server
// that refuses the call, and expects exit 4 and the same hint from each.
func TestAWSTroubleExits4(t *testing.T) {
	dist := builtExample(t)
	plan := filepath.Join(t.TempDir(), "plan.json")
	tests := []struct {
		name, code string
		args       []string
		hint       string
	}{
		{"scan", "AccessDeniedException", []string{"scan", "--regions", "eu-west-1"},
			"hint: AWS denied lambda:ListFunctions to the credentials in use: allow it in an IAM policy of the user or role they belong to, or choose other credentials with --profile or AWS_PROFILE\n"},
		{"campaign plan", "AccessDeniedException", []string{"campaign", "plan", "--from", "python3.9", "--to", "python3.12", "--regions", "eu-west-1", "--out", plan},
			"hint: AWS denied lambda:ListFunctions to the credentials in use"},
		{"publish", "AccessDeniedException", []string{"publish", dist, "--regions", "eu-west-1"},
			"hint: AWS denied lambda:ListLayerVersions to the credentials in use"},
		{"prune", "AccessDeniedException", []string{"prune", dist, "--regions", "eu-west-1"},
			"hint: AWS denied lambda:ListFunctions to the credentials in use"},
		{"scan expired", "ExpiredTokenException", []string{"scan", "--regions", "eu-west-1"},
			"hint: the AWS credentials in use have expired"},
		{"scan refused", "UnrecognizedClientException", []string{"scan", "--regions", "eu-west-1"},
			"hint: AWS does not accept the credentials in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := fakeAWS(t, func(w http.ResponseWriter, r *http.Request) {
				awsError(w, http.StatusForbidden, tt.code, "User: arn:aws:iam::123456789012:user/ci is not authorized to perform this operation")
			})
			r := runCLI(t, env, tt.args...)
			if r.code != ExitAWS || !strings.Contains(r.stderr, "api error "+tt.code) || !strings.Contains(r.stderr, tt.hint) {
				t.Errorf("%v: exit %d, stderr %q; want exit 4 and %q", tt.args, r.code, r.stderr, tt.hint)
			}
		})
	}
}

// TestNoCredentialsExits4 runs scan with no credentials anywhere.
func TestNoCredentialsExits4(t *testing.T) {
	env := fakeAWS(t, func(w http.ResponseWriter, r *http.Request) { t.Errorf("a request without credentials: %s", r.URL) })
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	r := runCLI(t, env, "scan", "--regions", "eu-west-1")
	want := "hint: no usable AWS credentials: set AWS_PROFILE or --profile, run aws sso login, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
	if r.code != ExitAWS || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestPublishInterruptedDuringRetry interrupts publish while it waits to
// try PublishLayerVersion again after a 503: the run ends with 130, not
// with the 503 it was about to retry.
func TestPublishInterruptedDuringRetry(t *testing.T) {
	dist := builtExample(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var mu sync.Mutex
	posted := false
	env := fakeAWS(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost:
			posted = true
			awsError(w, http.StatusServiceUnavailable, "ServiceException", "try again")
		case !posted:
			awsError(w, http.StatusNotFound, "ResourceNotFoundException", "no such layer")
		default:
			// Publish looks before it tries again (the version may exist
			// after all): Ctrl-C now.
			cancel()
			<-r.Context().Done()
		}
	})
	r := runCLIContext(ctx, env, "publish", dist, "--regions", "eu-west-1")
	if r.code != ExitInterrupted || r.stderr != "layerkit: interrupted\n" {
		t.Errorf("exit %d, stderr %q; want 130 and \"layerkit: interrupted\"", r.code, r.stderr)
	}
}

func TestExitCodeAWS(t *testing.T) {
	denied := &smithy.OperationError{ServiceID: "Lambda", OperationName: "ListFunctions",
		Err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"}}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"a retry canceled", &smithy.OperationError{ServiceID: "Lambda", OperationName: "PublishLayerVersion",
			Err: &aws.RequestCanceledError{Err: context.Canceled}}, ExitInterrupted},
		{"canceled before denied", errors.Join(denied, context.Canceled), ExitInterrupted},
		{"denied", fmt.Errorf("listing functions in eu-west-1: %w", denied), ExitAWS},
		{"S3 denied", &smithy.OperationError{ServiceID: "S3", OperationName: "PutObject", Err: &smithy.GenericAPIError{Code: "AccessDenied"}}, ExitAWS},
		{"bad signature", &smithy.GenericAPIError{Code: "SignatureDoesNotMatch"}, ExitAWS},
		{"expired", &smithy.GenericAPIError{Code: "ExpiredToken"}, ExitAWS},
		{"no credentials to sign with", &v4.SigningError{Err: errors.New("failed to retrieve credentials")}, ExitAWS},
		{"no credentials found", &publish.AuthError{Op: "finding AWS credentials", Err: errors.New("none configured")}, ExitAWS},
		{"throttled", &smithy.GenericAPIError{Code: "TooManyRequestsException"}, ExitError},
		{"not found", &smithy.GenericAPIError{Code: "ResourceNotFoundException"}, ExitError},
	}
	for _, tt := range tests {
		if got, _ := outcome(context.Background(), tt.err); got != tt.want {
			t.Errorf("%s: outcome(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
	if got := awsHint(denied); !strings.HasPrefix(got, "AWS denied lambda:ListFunctions ") {
		t.Errorf("hint %q", got)
	}
	if got := awsHint(&smithy.OperationError{ServiceID: "S3", OperationName: "HeadObject", Err: &smithy.GenericAPIError{Code: "AccessDenied"}}); !strings.HasPrefix(got, "AWS denied s3:GetObject ") {
		t.Errorf("hint %q", got)
	}
}
