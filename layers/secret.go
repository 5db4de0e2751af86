package layers

import (
	"strings"
)

// secretDirs are folders that hold credentials, by lower-case name.
var secretDirs = map[string]string{
	".aws":   "AWS credentials",
	".ssh":   "SSH keys",
	".gnupg": "GnuPG keys",
}

// secretNames are file names that hold credentials, by lower-case name.
var secretNames = map[string]string{
	".env":             "environment file",
	"id_rsa":           "SSH private key",
	"id_dsa":           "SSH private key",
	"id_ecdsa":         "SSH private key",
	"id_ed25519":       "SSH private key",
	".netrc":           "credentials file",
	".pypirc":          "credentials file",
	".npmrc":           "npm config (may hold tokens)",
	".git-credentials": "credentials file",
}

// secretExts are file-name endings that mark keys and key stores, lower
// case, with the dot.
var secretExts = []struct{ ext, reason string }{
	{".pem", "private key or certificate"},
	{".key", "private key"},
	{".p12", "key store"},
	{".pfx", "key store"},
	{".jks", "key store"},
}

// envPrefix starts the names of per-stage environment files (.env.production).
const envPrefix = ".env."

// harmlessEnv are .env.* files meant to be committed: templates with no
// values, by lower-case name.
var harmlessEnv = map[string]bool{".env.example": true, ".env.sample": true, ".env.template": true, ".env.dist": true}

// SecretName reports whether rel, a '/'-separated path relative to a
// bundle's root, names a secret that should never be packaged, and what kind
// of secret it is. A path is a secret when one of its folders is a
// credentials folder (.aws, .ssh, .gnupg), or when its last element is an
// environment file (.env, .env.production), a private key or key store
// (id_rsa, *.pem, *.key, *.p12, *.pfx, *.jks) or a credentials file (.netrc,
// .pypirc, .npmrc, .git-credentials). A trailing '/' marks rel as a folder,
// whose own name is then checked as a folder's: SecretName(".aws/") is a
// secret, SecretName(".aws") is not.
//
// Names are compared without regard to case: repositories edited on
// case-insensitive file systems carry .ENV, ID_RSA or server.PEM, which hold
// the same secrets. Committed templates (.env.example, .env.sample,
// .env.template, .env.dist) are not secrets. SecretName looks at names
// only; it reads nothing.
func SecretName(rel string) (reason string, ok bool) {
	rel = strings.ToLower(rel)
	dirs, base := rel, ""
	if !strings.HasSuffix(rel, "/") {
		if i := strings.LastIndexByte(rel, '/'); i >= 0 {
			dirs, base = rel[:i+1], rel[i+1:]
		} else {
			dirs, base = "", rel
		}
	}
	for d := range strings.SplitSeq(strings.TrimSuffix(dirs, "/"), "/") {
		if r, found := secretDirs[d]; found {
			return r, true
		}
	}
	return secretFile(base)
}

// secretFile reports whether a lower-case base name is a key, environment
// or credentials file, and what kind.
func secretFile(base string) (reason string, ok bool) {
	if r, found := secretNames[base]; found {
		return r, true
	}
	if strings.HasPrefix(base, envPrefix) {
		if harmlessEnv[base] {
			return "", false
		}
		return secretNames[".env"], true
	}
	for _, s := range secretExts {
		if strings.HasSuffix(base, s.ext) {
			return s.reason, true
		}
	}
	return "", false
}

// PublicCertificates reports whether data, the content of a file whose name
// SecretName flags as a key or certificate (*.pem), holds only
// certificates: a CA bundle such as certifi's cacert.pem or grpc's
// roots.pem is public, and a program that ships without it fails its TLS
// connections. Data with any private key, or nothing recognisable, is not.
func PublicCertificates(data []byte) bool {
	s := string(data)
	return strings.Contains(s, "-----BEGIN CERTIFICATE-----") && !strings.Contains(s, "PRIVATE KEY") &&
		!strings.Contains(s, "ENCRYPTED")
}

// PEMName reports whether a file name ends in .pem, in any case: the one
// secret name whose content can show it is public (see PublicCertificates).
func PEMName(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".pem") }
