package ecrauth

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/layerkit/layerkit/internal/aws/awstest"
)

// fakeECR answers GetAuthorizationToken as ECR does, counting calls.
type fakeECR struct {
	token  string
	calls  int
	region string
}

func (f *fakeECR) GetAuthorizationToken(_ context.Context, _ *ecr.GetAuthorizationTokenInput, _ ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
	f.calls++
	return &ecr.GetAuthorizationTokenOutput{AuthorizationData: []types.AuthorizationData{{AuthorizationToken: aws.String(f.token)}}}, nil
}

func TestResolve(t *testing.T) {
	fake := &fakeECR{token: base64.StdEncoding.EncodeToString([]byte("AWS:secret"))}
	k := New(t.Context(), func(region string) (TokenAPI, error) { fake.region = region; return fake, nil })
	ecrRepo, _ := name.NewRepository("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app")
	for range 2 {
		a, err := k.Resolve(ecrRepo)
		if err != nil {
			t.Fatal(err)
		}
		c, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if c.Username != "AWS" || c.Password != "secret" {
			t.Errorf("credentials %+v", c)
		}
	}
	if fake.calls != 1 || fake.region != "eu-west-1" {
		t.Errorf("%d calls, region %q; want 1 call in eu-west-1", fake.calls, fake.region)
	}
	other, _ := name.NewRepository("ghcr.io/org/app")
	if a, err := k.Resolve(other); err != nil || a != authn.Anonymous {
		t.Errorf("another registry: %v, %v", a, err)
	}
	fake.token = base64.StdEncoding.EncodeToString([]byte("no colon"))
	k2 := New(t.Context(), func(string) (TokenAPI, error) { return fake, nil })
	if _, err := k2.Resolve(ecrRepo); !errors.Is(err, ErrBadToken) {
		t.Errorf("bad token: %v", err)
	}
}

// TestResolveMoto logs in to an ECR registry of moto's through the SDK, as
// a real run does against ECR.
func TestResolveMoto(t *testing.T) {
	_, account, cfg := awstest.Moto(t)
	k := FromConfig(t.Context(), cfg)
	repo, err := name.NewRepository(account + ".dkr.ecr.us-east-1.amazonaws.com/app")
	if err != nil {
		t.Fatal(err)
	}
	a, err := k.Resolve(repo)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	if c.Username != "AWS" || c.Password == "" {
		t.Errorf("credentials %+v, want AWS and a password", c)
	}
}
