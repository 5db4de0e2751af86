package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"

	"github.com/layerkit/layerkit/internal/publish"
)

// outcome is the one mapping from a command's result to its exit code,
// with the hint that goes with an AWS credentials or permission problem:
// context.Canceled anywhere in the chain (also inside an SDK error, such as
// a retry cut short) is 130; then AWS refusing the credentials or a
// permission, or no credentials to be had, is 4; then usage errors 2,
// findings 3, anything else 1.
// An error after ctx was canceled is an interruption, whatever it says: a
// command cut off by Ctrl-C may report the last error it saw (a throttled
// call it was about to retry) rather than the cancellation.
func outcome(ctx context.Context, err error) (code int, hint string) {
	var ue *UsageError
	var fe *FindingsError
	switch {
	case err == nil:
		return ExitOK, ""
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return ExitInterrupted, ""
	}
	if hint := awsHint(err); hint != "" {
		return ExitAWS, hint
	}
	switch {
	case errors.As(err, &ue):
		return ExitUsage, ""
	case errors.As(err, &fe):
		return ExitFindings, ""
	}
	return ExitError, ""
}

// awsTrouble is the kind of credentials or permission problem an AWS error
// code stands for.
type awsTrouble int

const (
	troubleNone    awsTrouble = iota
	troubleDenied             // the credentials work but lack a permission
	troubleExpired            // temporary credentials ran out
	troubleRefused            // AWS does not accept the credentials at all
	troubleMissing            // no credentials could be found or used
)

// awsTroubleCodes are the error codes AWS services answer for credentials
// and permission problems (Lambda, S3, STS and IAM spell them differently).
var awsTroubleCodes = map[string]awsTrouble{
	"AccessDenied":                        troubleDenied, // S3, STS
	"AccessDeniedException":               troubleDenied, // Lambda and JSON protocols
	"UnauthorizedOperation":               troubleDenied, // EC2-style
	"ExpiredToken":                        troubleExpired,
	"ExpiredTokenException":               troubleExpired,
	"UnrecognizedClientException":         troubleRefused,
	"InvalidClientTokenId":                troubleRefused,
	"InvalidAccessKeyId":                  troubleRefused,
	"SignatureDoesNotMatch":               troubleRefused,
	"InvalidSignatureException":           troubleRefused,
	"IncompleteSignature":                 troubleRefused,
	"AuthFailure":                         troubleRefused,
	"MissingAuthenticationToken":          troubleRefused,
	"MissingAuthenticationTokenException": troubleRefused,
}

// awsHint says, for an error that is an AWS credentials or permission
// problem, which credentials or permission is missing and how to set them;
// for any other error it returns "".
func awsHint(err error) string {
	trouble, action := troubleNone, ""
	var ae smithy.APIError
	var se *v4.SigningError
	var pe *publish.AuthError
	switch {
	case errors.As(err, &ae):
		trouble = awsTroubleCodes[ae.ErrorCode()]
		var oe *smithy.OperationError
		if errors.As(err, &oe) {
			action = iamAction(oe.ServiceID, oe.OperationName)
		}
	case errors.As(err, &se), errors.As(err, &pe):
		// The signer fails when the credentials cannot be retrieved (none
		// configured, an SSO session that ended); publish.NewClients
		// retrieves them up front and says so with an AuthError.
		trouble = troubleMissing
	}
	switch trouble {
	case troubleDenied:
		what := "this call"
		if action != "" {
			what = action
		}
		return fmt.Sprintf("AWS denied %s to the credentials in use: allow it in an IAM policy of the user or role they belong to, or choose other credentials with --profile or AWS_PROFILE", what)
	case troubleExpired:
		return "the AWS credentials in use have expired: refresh them (aws sso login, or new temporary keys in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN) and run again"
	case troubleRefused:
		return "AWS does not accept the credentials in use: check the key pair (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the --profile or AWS_PROFILE profile in ~/.aws), AWS_SESSION_TOKEN, and the machine's clock"
	case troubleMissing:
		return "no usable AWS credentials: set AWS_PROFILE or --profile, run aws sso login, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	}
	return ""
}

// iamAction names the IAM action an SDK operation needs, as the Service
// Authorization Reference spells it: Lambda's actions are its operations
// ("lambda:ListFunctions"); a few of S3's are not ("s3:GetObject" covers
// HeadObject).
func iamAction(service, op string) string {
	if service == "" || op == "" {
		return ""
	}
	if service == "S3" {
		switch op {
		case "HeadObject":
			op = "GetObject"
		case "ListObjectsV2", "HeadBucket":
			op = "ListBucket"
		}
	}
	return strings.ToLower(strings.ReplaceAll(service, " ", "")) + ":" + op
}
