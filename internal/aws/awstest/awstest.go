// Package awstest connects end-to-end tests to moto_server. Each test gets
// an AWS account of its own (moto keeps accounts apart; assuming a role in
// an account switches to it), so test packages running at once against one
// server never see each other's layers, buckets or functions, and nothing
// needs a reset.
package awstest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

var seq atomic.Int64

// Moto returns moto_server's endpoint (scripts/test.sh starts one when the
// machine has it and sets LAYERKIT_MOTO_ENDPOINT), switches the process's
// AWS environment to a fresh account there for the rest of the test, and
// returns that account's ID and an SDK config for it. It skips the test
// when no moto_server runs, and refuses any endpoint off loopback.
func Moto(t *testing.T) (endpoint, account string, cfg aws.Config) {
	t.Helper()
	ep := os.Getenv("LAYERKIT_MOTO_ENDPOINT")
	if ep == "" {
		t.Skip("LAYERKIT_MOTO_ENDPOINT not set (scripts/test.sh starts moto_server when it is installed)")
	}
	if !loopback(ep) {
		t.Fatalf("LAYERKIT_MOTO_ENDPOINT=%s: tests only talk to loopback", ep)
	}
	for k, v := range map[string]string{"AWS_CA_BUNDLE": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "", "AWS_REGION": "us-east-1"} {
		t.Setenv(k, v)
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s %d %d %d", t.Name(), os.Getpid(), time.Now().UnixNano(), seq.Add(1))
	account = fmt.Sprintf("%012d", h.Sum64()%1_000_000_000_000)
	base, err := config.LoadDefaultConfig(context.Background(),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	base.BaseEndpoint = aws.String(ep)
	out, err := sts.NewFromConfig(base).AssumeRole(t.Context(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + account + ":role/layerkit-test"), RoleSessionName: aws.String("layerkit-test")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	t.Setenv("AWS_ACCESS_KEY_ID", aws.ToString(c.AccessKeyId))
	t.Setenv("AWS_SECRET_ACCESS_KEY", aws.ToString(c.SecretAccessKey))
	t.Setenv("AWS_SESSION_TOKEN", aws.ToString(c.SessionToken))
	cfg, err = config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = aws.String(ep)
	return ep, account, cfg
}

// loopback reports whether an endpoint URL's host is this machine's
// loopback: localhost or a loopback address, by name, not by prefix.
func loopback(ep string) bool {
	u, err := url.Parse(ep)
	if err != nil || u.Scheme != "http" {
		return false
	}
	if h := u.Hostname(); h == "localhost" {
		return true
	} else if ip, err := netip.ParseAddr(h); err == nil {
		return ip.IsLoopback()
	}
	return false
}

// LambdaRole creates an IAM role Lambda may assume, as CreateFunction
// needs, and returns its ARN.
func LambdaRole(t *testing.T, cfg aws.Config) *string {
	t.Helper()
	ic := iam.NewFromConfig(cfg)
	name := aws.String("layerkit-test-fn")
	out, err := ic.CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: name,
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	var exists *iamtypes.EntityAlreadyExistsException
	if errors.As(err, &exists) {
		// The test's account is its own: the role exists because a
		// retried CreateRole's first attempt landed (see CreateFunction).
		got, gerr := ic.GetRole(t.Context(), &iam.GetRoleInput{RoleName: name})
		if gerr == nil {
			return got.Role.Arn
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.Role.Arn
}

// CreateFunction creates a function for a test's setup. The SDK retries a
// request whose connection dropped after moto_server had already acted on
// it, and CreateFunction is not idempotent: the retry is refused with
// ResourceConflictException although the function was created as asked.
// In a test's own fresh account no one else creates that name, so a
// conflict on a retried call means the first attempt landed; the function
// is read back to be sure.
func CreateFunction(t *testing.T, lc *lambda.Client, in *lambda.CreateFunctionInput) {
	t.Helper()
	attempts := 0
	_, err := lc.CreateFunction(t.Context(), in, func(o *lambda.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Finalize.Insert(middleware.FinalizeMiddlewareFunc("layerkit-count-attempts",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					attempts++
					return next.HandleFinalize(ctx, in)
				}), "Retry", middleware.After)
		})
	})
	var conflict *ltypes.ResourceConflictException
	if errors.As(err, &conflict) && attempts > 1 {
		if _, gerr := lc.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: in.FunctionName}); gerr == nil {
			t.Logf("function %s: created by attempt 1 of %d (a retry was refused as a conflict)", aws.ToString(in.FunctionName), attempts)
			return
		}
	}
	if err != nil {
		t.Fatalf("creating function %s: %v", aws.ToString(in.FunctionName), err)
	}
}
