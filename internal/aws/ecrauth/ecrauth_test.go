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
)

type fakeECR struct {
	token string
	calls int
}

func (f *fakeECR) GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
	f.calls++
	return &ecr.GetAuthorizationTokenOutput{AuthorizationData: []types.AuthorizationData{{AuthorizationToken: aws.String(f.token)}}}, nil
}

type fixed struct{ authn.Authenticator }

func (f fixed) Resolve(authn.Resource) (authn.Authenticator, error) { return f.Authenticator, nil }

// TestKeychain: an ECR host gets the token's user and password, fetched
// once, from the client of the host's region; another host goes to Next; a
// token that is not base64 user:password is ErrBadToken.
func TestKeychain(t *testing.T) {
	f := &fakeECR{token: base64.StdEncoding.EncodeToString([]byte("AWS:s3cret"))}
	var regions []string
	next := fixed{authn.FromConfig(authn.AuthConfig{Username: "docker"})}
	k := &Keychain{Next: next, Client: func(_ context.Context, region string) (TokenAPI, error) {
		regions = append(regions, region)
		return f, nil
	}}
	repo, _ := name.NewRepository("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app")
	for range 2 {
		a, err := k.ResolveContext(t.Context(), repo)
		if err != nil {
			t.Fatal(err)
		}
		ac, _ := a.Authorization()
		if ac.Username != "AWS" || ac.Password != "s3cret" {
			t.Fatalf("auth = %+v", ac)
		}
	}
	if f.calls != 1 || len(regions) != 1 || regions[0] != "eu-west-1" {
		t.Errorf("calls %d regions %v, want one call in eu-west-1", f.calls, regions)
	}
	other, _ := name.NewRepository("ghcr.io/me/app")
	a, err := k.Resolve(other)
	if err != nil {
		t.Fatal(err)
	}
	if ac, _ := a.Authorization(); ac.Username != "docker" {
		t.Errorf("ghcr.io resolved to %+v, want Next's", ac)
	}
	k2 := &Keychain{Client: func(context.Context, string) (TokenAPI, error) { return &fakeECR{token: "bm90IGEgcGFpcg=="}, nil }}
	if _, err := k2.Resolve(repo); !errors.Is(err, ErrBadToken) {
		t.Errorf("err = %v, want ErrBadToken", err)
	}
}

func TestRegion(t *testing.T) {
	for host, want := range map[string]string{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com":          "us-east-1",
		"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com": "us-gov-west-1",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn":      "cn-north-1",
		"public.ecr.aws": "",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example": "",
	} {
		got, ok := Region(host)
		if got != want || ok != (want != "") {
			t.Errorf("Region(%q) = %q, %v; want %q", host, got, ok, want)
		}
	}
}
