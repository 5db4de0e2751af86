package layers

import (
	"strings"
	"testing"
)

func TestSecretName(t *testing.T) {
	tests := []struct {
		rel    string
		reason string // "" when not a secret
	}{
		{".env", "environment file"},
		{".env.production", "environment file"},
		{"app/.env.local", "environment file"},
		{".env.example", ""},
		{".env.sample", ""},
		{"config/.env.template", ""},
		{".env.dist", ""},
		{"server.pem", "private key or certificate"},
		{"tls.key", "private key"},
		{"store.p12", "key store"},
		{"id_rsa", "SSH private key"},
		{"id_rsa.pub", ""},
		{".aws/credentials", "AWS credentials"},
		{"home/.ssh/config", "SSH keys"},
		{".aws/", "AWS credentials"},
		{".aws", ""}, // a file named .aws is not the credentials folder
		{".npmrc", "npm config (may hold tokens)"},
		{"keys", ""},
		{"app.py", ""},
		{"a.pem/b.py", ""},
		{"environment", ""},
		// Case does not hide a secret (repositories edited on case-insensitive
		// file systems).
		{".ENV", "environment file"},
		{".Env.Production", "environment file"},
		{".AWS/credentials", "AWS credentials"},
		{"ID_RSA", "SSH private key"},
		{"server.PEM", "private key or certificate"},
		{"tls.Key", "private key"},
		{".SSH/", "SSH keys"},
		{".ENV.EXAMPLE", ""},
		{"README.MD", ""},
	}
	for _, tt := range tests {
		reason, ok := SecretName(tt.rel)
		if ok != (tt.reason != "") || reason != tt.reason {
			t.Errorf("SecretName(%q) = %q, %v; want %q, %v", tt.rel, reason, ok, tt.reason, tt.reason != "")
		}
	}
}

// FuzzSecretName: any path is answered without a panic, and the answer does
// not depend on case.
func FuzzSecretName(f *testing.F) {
	for _, s := range []string{".env", ".env.example", ".AWS/credentials", "a/b/id_rsa", "x.pem/", "", "/", "//.ssh//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		r1, ok1 := SecretName(rel)
		r2, ok2 := SecretName(strings.ToUpper(rel))
		if ok1 != ok2 || r1 != r2 || ok1 != (r1 != "") {
			t.Fatalf("SecretName(%q) = %q, %v; of its upper case %q, %v", rel, r1, ok1, r2, ok2)
		}
	})
}

func TestPublicCertificates(t *testing.T) {
	cert := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	for data, want := range map[string]bool{
		cert + cert: true,
		cert + "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n": false,
		"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n":                               false,
		"-----BEGIN ENCRYPTED PRIVATE KEY-----\n":                               false,
		"":        false,
		"not pem": false,
	} {
		if got := PublicCertificates([]byte(data)); got != want {
			t.Errorf("PublicCertificates(%q) = %v, want %v", data, got, want)
		}
	}
}
