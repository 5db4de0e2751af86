package ecrauth

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/layerkit/layerkit/internal/aws/awstest"
)

// TestNewAgainstMoto: the keychain New makes logs in with the SDK's
// ecr:GetAuthorizationToken, sent to the endpoint given, in the region of
// the registry's host.
func TestNewAgainstMoto(t *testing.T) {
	ep, account, _ := awstest.Moto(t)
	k := New(Options{EndpointURL: ep}, nil)
	repo, err := name.NewRepository(account + ".dkr.ecr.eu-west-1.amazonaws.com/app")
	if err != nil {
		t.Fatal(err)
	}
	a, err := k.ResolveContext(t.Context(), repo)
	if err != nil {
		t.Fatal(err)
	}
	ac, err := a.Authorization()
	if err != nil || ac.Username != "AWS" || ac.Password == "" {
		t.Fatalf("auth = %+v, %v; want user AWS and a password", ac, err)
	}
}
