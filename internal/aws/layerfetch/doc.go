// Package layerfetch downloads Lambda layer versions by ARN, so that a
// function that lists its layers only as ARNs (a SAM, CDK, Serverless or
// Terraform output) can be checked with them.
//
// A Fetcher reads a layer version with Lambda's GetLayerVersion in the
// layer's own region (Lambda serves a layer version only there), downloads
// the zip from the presigned URL Lambda answers with, and keeps it in a
// cache folder under its CodeSha256, so a zip published under many ARNs or
// in many regions is stored once. A download is hashed while it is written
// to a temporary file beside its final name, refused when it is longer or
// shorter than Lambda's CodeSize or hashes to another SHA-256, and renamed
// into place only when whole: a reader, in this process or another, sees
// either no file or the complete, verified zip. A Fetcher asks Lambda and
// downloads once per ARN however many callers ask for it at once.
//
// The package neither reads what a zip holds (lint and zipper do) nor
// decides which layers to fetch (the cli package does, on --fetch-layers).
// It never removes cached zips; it removes temporary files a killed
// process left, once they have gone a day unwritten.
package layerfetch
