package lint

import (
	"slices"
	"strings"
)

// Rule describes one check. IDs never change meaning: CI configurations and
// SARIF consumers key on them.
type Rule struct {
	ID       string
	Name     string
	Severity Severity
	// Summary is one line: what the rule finds.
	Summary string
	// Symptom is what Lambda shows when the problem ships.
	Symptom string
	// Fix says what to do about it.
	Fix string
	// Details explains the rule: why it matters and how it decides.
	Details string
}

// The rule IDs.
const (
	RuleELFMachine      = "LK101"
	RuleELFClass        = "LK102"
	RuleELFByteOrder    = "LK103"
	RuleMachO           = "LK104"
	RulePE              = "LK105"
	RuleMusl            = "LK106"
	RuleELFBroken       = "LK107"
	RuleLayerBuildArch  = "LK108"
	RuleGlibc           = "LK110"
	RuleLibstdcxx       = "LK111"
	RuleLibMissing      = "LK120"
	RuleLibWrongMachine = "LK121"
	RulePythonABI       = "LK130"
	RulePythonPlatform  = "LK131"
	RuleWheelTags       = "LK132"
	RulePythonDir       = "LK133"
	RuleNodeABI         = "LK140"
	RuleNodePrebuild    = "LK141"
	RuleLayoutWrapped   = "LK150"
	RuleLayoutUnread    = "LK151"
	RuleHandlerMissing  = "LK155"
	RuleSizeUnzipped    = "LK160"
	RuleSizeDirect      = "LK161"
	RuleLayerCount      = "LK162"
	RuleSizeImage       = "LK163"
	RuleImageIndex      = "LK164"
	RuleImageArch       = "LK165"
	RuleImageLayerType  = "LK166"
	RuleImageEntrypoint = "LK167"
	RuleImageEntry      = "LK168"
	RuleEphemeral       = "LK169"
	RuleSecret          = "LK170"
	RuleDeadWeight      = "LK180"
	RuleZipUnsafePath   = "LK190"
	RuleSymlinkEscape   = "LK191"
	RuleZipDuplicate    = "LK192"
	RuleZipSizeLie      = "LK193"
	RuleZipOverlap      = "LK194"
	RuleZipUnsupported  = "LK195"
	RuleZipCorrupt      = "LK196"
	RuleSymlinkDangling = "LK197"
	RuleBuildChanged    = "LK198"
)

var rules = []Rule{
	{ID: RuleELFMachine, Name: "elf-machine", Severity: Error,
		Summary: "ELF object built for another CPU than the target's",
		Symptom: "the loader skips it: 'cannot open shared object file: No such file or directory' though the file is there; an executable fails with 'exec format error'",
		Fix:     "install the dependency for the target's architecture (layerkit install, pip --platform manylinux2014_aarch64 / _x86_64, npm --cpu=arm64 / x64) or cross-compile it",
		Details: "Lambda runs x86_64 (e_machine EM_X86_64, 62) or arm64 (EM_AARCH64, 183). The dynamic loader silently skips a library of another machine while it searches, so the error names the file as missing. Read from the ELF header, whatever the file's name."},
	{ID: RuleELFClass, Name: "elf-32bit", Severity: Error,
		Summary: "32-bit ELF object",
		Symptom: "'wrong ELF class: ELFCLASS32'",
		Fix:     "use a 64-bit build of the dependency",
		Details: "Both Lambda architectures are 64-bit and their images carry no 32-bit loader or libraries."},
	{ID: RuleELFByteOrder, Name: "elf-big-endian", Severity: Error,
		Summary: "big-endian ELF object",
		Symptom: "'invalid ELF header' or 'exec format error'",
		Fix:     "use a little-endian x86_64 or arm64 build",
		Details: "Lambda's CPUs run little-endian code only."},
	{ID: RuleMachO, Name: "macho", Severity: Error,
		Summary: "macOS (Mach-O) binary",
		Symptom: "'invalid ELF header' when the module is imported or the program run",
		Fix:     "build or install the dependency on Linux for the target (layerkit install; pip --platform manylinux…; npm --os=linux), not on a Mac",
		Details: "A package installed on macOS carries Mach-O binaries (magic feedface/feedfacf, or cafebabe for universal binaries). Lambda loads only ELF. Universal binaries share their magic with Java classes, so .class files are never flagged. Mach-O files that are not native-extension names (.so, .dylib, .node, .bundle) are warnings: they ship but are never loaded."},
	{ID: RulePE, Name: "pe", Severity: Error,
		Summary: "Windows (PE) binary",
		Symptom: "'invalid ELF header' when loaded; a .pyd is never even found by Python on Linux",
		Fix:     "install the dependency for Linux (layerkit install), not on Windows",
		Details: "PE files (.pyd, .dll, .exe) start with MZ and carry 'PE\\0\\0' at the offset stored at 0x3C. Native-extension names (.pyd, .dll, .so, .node) are errors; others, such as the .exe launchers setuptools ships, are warnings: dead weight that never runs."},
	{ID: RuleMusl, Name: "musl", Severity: Error,
		Summary: "binary linked against musl libc (Alpine), not glibc",
		Symptom: "'No such file or directory' for a program whose file exists (its loader /lib/ld-musl-*.so.1 is missing), or missing symbols",
		Fix:     "use a manylinux (glibc) build instead of musllinux/Alpine",
		Details: "Lambda's Amazon Linux images have glibc only. musl objects ask for /lib/ld-musl-<arch>.so.1 or need libc.musl-<arch>.so.1."},
	{ID: RuleELFBroken, Name: "elf-broken", Severity: Error,
		Summary: "truncated or corrupt ELF object",
		Symptom: "'file too short' or 'invalid ELF header' when loaded",
		Fix:     "reinstall the dependency; check the upload or copy that produced the file",
		Details: "The file starts like an ELF object but its headers or dynamic sections cannot be read."},
	{ID: RuleLayerBuildArch, Name: "layer-build-arch", Severity: Warning,
		Summary: "layer built for another architecture than the function that attaches it",
		Symptom: "compiled dependencies the build installed for the other CPU fail to load ('cannot open shared object file', 'No module named ..._multiarray_umath')",
		Fix:     "build the layer for the function's architecture (SAM: Metadata.BuildArchitecture: arm64), or give arm64 and x86_64 functions a layer each",
		Details: "SAM builds a layer with Metadata.BuildMethod for Metadata.BuildArchitecture, x86_64 when absent, whatever the functions that attach it run on, and only warns. Pure-Python or pure-JavaScript content works on either CPU; the file rules (LK101, LK130) say which files would fail."},
	{ID: RuleGlibc, Name: "glibc-version", Severity: Error,
		Summary: "needs a newer glibc than the runtime's OS has",
		Symptom: "'version `GLIBC_2.xx' not found (required by …)'",
		Fix:     "use a wheel/binary built for an older glibc (manylinux2014 for Amazon Linux 2, manylinux_2_34 or older for Amazon Linux 2023), build on Amazon Linux, or move to a runtime on Amazon Linux 2023",
		Details: "The highest GLIBC_x.y symbol version in .gnu.version_r must not exceed the runtime's glibc: Amazon Linux 1 = 2.17, Amazon Linux 2 = 2.26, Amazon Linux 2023 = 2.34."},
	{ID: RuleLibstdcxx, Name: "libstdcxx-version", Severity: Error,
		Summary: "needs a newer libstdc++ (GLIBCXX_/CXXABI_) than the runtime's OS has",
		Symptom: "'version `GLIBCXX_3.4.xx' not found'",
		Fix:     "build against an older GCC (manylinux images do), or bundle a matching libstdc++.so.6 in lib/",
		Details: "Amazon Linux 2's libstdc++ tops out at GLIBCXX_3.4.24 (GCC 7), Amazon Linux 2023's at 3.4.29 (GCC 11). Newer AL2023 images may carry more, so above 3.4.29 the finding is a warning there and an error on older systems."},
	{ID: RuleLibMissing, Name: "lib-not-found", Severity: Error,
		Summary: "a needed shared library resolves nowhere",
		Symptom: "'libfoo.so.1: cannot open shared object file: No such file or directory'",
		Fix:     "bundle the library in the layer's or the function's lib/ (or beside the object, with RUNPATH $ORIGIN), or use a wheel that vendors it (auditwheel)",
		Details: "Each DT_NEEDED name is looked up as Lambda's loader would: the object's DT_RUNPATH/DT_RPATH ($ORIGIN is the object's own folder), then LD_LIBRARY_PATH (/var/lang/lib, /lib64, /usr/lib64, /var/runtime, /var/runtime/lib, /var/task, /var/task/lib, /opt/lib) over the function's files at /var/task and the layers' at /opt, and finally what the runtime's OS provides (glibc's libraries, libstdc++, libgcc_s, zlib)."},
	{ID: RuleLibWrongMachine, Name: "lib-wrong-machine", Severity: Error,
		Summary: "a needed shared library resolves only to a file for another CPU",
		Symptom: "'cannot open shared object file: No such file or directory' though the file is there",
		Fix:     "replace the bundled library with the target architecture's build",
		Details: "The loader skips candidates of another machine and goes on searching; when nothing else matches, the library counts as missing."},
	{ID: RulePythonABI, Name: "python-abi", Severity: Error,
		Summary: "Python extension module built for another Python version or platform",
		Symptom: "'No module named …' (the import system never looks at a .cpython-39 .so on 3.12)",
		Fix:     "install the dependency for the runtime's Python (layerkit install; pip --python-version 3.12 --platform …)",
		Details: "CPython imports only the suffixes of its own version and platform: on python3.12/arm64 '.cpython-312-aarch64-linux-gnu.so', '.abi3.so' and '.so'. A '.cpython-39-…' or '-36m' file, or one tagged for x86_64 on arm64, is invisible to it."},
	{ID: RulePythonPlatform, Name: "python-foreign-platform", Severity: Error,
		Summary: "Python extension module for macOS, Windows or musl",
		Symptom: "'No module named …'",
		Fix:     "install the dependency for Linux/glibc (layerkit install)",
		Details: "'-darwin.so', '.pyd' and '-linux-musl' suffixes belong to other platforms."},
	{ID: RuleWheelTags, Name: "wheel-tags", Severity: Error,
		Summary: "installed wheel whose tags do not fit the runtime's Python, arch or glibc",
		Symptom: "import errors or 'GLIBC_x.y not found' from the package's binaries",
		Fix:     "reinstall for the target: pip install --platform manylinux2014_<arch> (Amazon Linux 2) or manylinux_2_34_<arch> (Amazon Linux 2023) --python-version X.Y --only-binary=:all:",
		Details: "Every installed wheel keeps *.dist-info/WHEEL with 'Tag: cp312-cp312-manylinux_2_17_aarch64' lines. One tag must fit: the interpreter (cpXY for the runtime's version, abi3 at or below it, py3), the arch, and a manylinux glibc at or below the runtime's (manylinux1 = 2.5, manylinux2010 = 2.12, manylinux2014 = 2.17, manylinux_X_Y = X.Y)."},
	{ID: RulePythonDir, Name: "python-version-dir", Severity: Error,
		Summary: "site-packages for another Python version",
		Symptom: "'No module named …': python3.12 reads python/lib/python3.12/site-packages, never python3.9's",
		Fix:     "reinstall the packages for the runtime's Python into python/ (or python/lib/python3.X/site-packages for that X)",
		Details: "A layer's python/lib/python3.X/site-packages is on sys.path only for runtime python3.X."},
	{ID: RuleNodeABI, Name: "node-abi", Severity: Error,
		Summary: "native Node addon built for another Node version (NODE_MODULE_VERSION)",
		Symptom: "'was compiled against a different Node.js version using NODE_MODULE_VERSION <addon's>. This version of Node.js requires NODE_MODULE_VERSION <runtime's>.'",
		Fix:     "reinstall with the runtime's Node version (npm rebuild, or npm install with the same major Node), or use an N-API build",
		Details: "Addons that are not N-API export node_register_module_v<N>; N must match the runtime's Node (18 = 108, 20 = 115, 22 = 127, 24 = 137). N-API addons work on every version."},
	{ID: RuleNodePrebuild, Name: "node-prebuild-missing", Severity: Error,
		Summary: "Node package that picks a prebuilt binary per platform has none for the target",
		Symptom: "'No native build was found for platform=linux arch=arm64 runtime=node abi=127 uv=1 libc=glibc node=22…'",
		Fix:     "install for the target (layerkit install, npm install --os=linux --cpu=arm64 --libc=glibc) or a version of the package that ships linux-<arch> prebuilds",
		Details: "node-gyp-build loads prebuilds/<platform>-<arch>/ for the running machine (glibc, N-API or the runtime's ABI), or a compiled build/Release/*.node. Prebuilds for other platforms are never opened: they count as dead weight, not errors. Only when none fits the target, and nothing was compiled, does the package fail to load; a package with a JavaScript fallback (fallback.js) still runs, more slowly, and gets a warning."},
	{ID: RuleLayoutWrapped, Name: "layout-wrapped", Severity: Error,
		Summary: "layer wraps its content one folder too deep",
		Symptom: "'Runtime.ImportModuleError: No module named …' / 'Cannot find module'",
		Fix:     "zip the contents of the wrapping folder, so python/, nodejs/, lib/ or bin/ sit at the zip's root",
		Details: "Layers are extracted into /opt; runtimes read /opt/python, /opt/nodejs/node_modules, /opt/lib, /opt/bin. A zip of mylayer/python/… lands in /opt/mylayer/python, where nothing looks."},
	{ID: RuleLayoutUnread, Name: "layout-unread", Severity: Warning,
		Summary: "top-level folder of a layer that the runtime never reads",
		Symptom: "nothing fails, but the files are unreachable by default paths",
		Fix:     "move the content under the runtime's folders, or drop it",
		Details: "Only the runtime's language folder (python/, nodejs/, java/, ruby/) and bin/, lib/ and extensions/ are read."},
	{ID: RuleHandlerMissing, Name: "handler-missing", Severity: Error,
		Summary: "the function's handler names a file that is not in its code or layers",
		Symptom: "every invoke fails: 'Runtime.ImportModuleError: Unable to import module' (Python), 'Runtime.ImportModuleError: Error: Cannot find module' (Node.js), 'Runtime.InvalidEntrypoint' (custom runtimes without bootstrap)",
		Fix:     "package the handler's file at the path the handler names, or correct the Handler setting",
		Details: "Python: handler a/b.fn or a.b.fn imports module a.b from /var/task, PYTHONPATH, /opt/python/lib/python3.X/site-packages and /opt/python (a .py file, a package folder, or an extension). Node.js: handler dir/index.fn loads /var/task/dir/index (.js, .mjs, .cjs, or a folder), then a package of that name from node_modules. Ruby: handler file.fn loads /var/task/file.rb. Custom runtimes (provided.*) need an executable bootstrap in /var/task or /opt. Java and .NET handlers name classes inside archives and are not checked."},
	{ID: RuleSizeUnzipped, Name: "size-unzipped", Severity: Error,
		Summary: "function code plus layers, unzipped, reach Lambda's 262,144,000-byte limit",
		Symptom: "deploy fails: 'Function code combined with layers exceeds the maximum allowed size of 262144000 bytes'",
		Fix:     "drop dead weight (tests, docs, caches), strip binaries, split dependencies, or move to a container image (10 GB)",
		Details: "Lambda adds the uncompressed sizes of the function's code and of every layer it attaches; the total must be below 262,144,000 bytes (250 MiB). Lambda never reports it; layerkit sums the entries' sizes."},
	{ID: RuleSizeDirect, Name: "size-direct-upload", Severity: Warning,
		Summary: "zip too big to send directly; it must go through S3",
		Symptom: "'Zipped size must be smaller than 52428800 bytes' (413 RequestEntityTooLargeException)",
		Fix:     "upload to S3 and publish from there (layerkit publish --bucket)",
		Details: "A zip sent in the request must be below 52,428,800 bytes (50 MiB)."},
	{ID: RuleLayerCount, Name: "layer-count", Severity: Error,
		Summary: "more than 5 layers",
		Symptom: "'Cannot reference more than 5 layers.'",
		Fix:     "merge layers",
		Details: "A function attaches at most 5 layers."},
	{ID: RuleSizeImage, Name: "size-image", Severity: Error,
		Summary: "over 10 GiB unzipped: too big even for a container image",
		Symptom: "CreateFunction accepts the image, then the function goes Failed: 'InvalidImage(SizeLimitExceeded: Uncompressed container image size exceeds 10 GiB limit)'",
		Fix:     "shrink the dependencies, or the base image; the finding names the biggest layers and folders",
		Details: "Container images are limited to 10 GiB (10,737,418,240 bytes) uncompressed, all layers together, counted as their tar streams. An image above 90 % of the limit gets a warning."},
	{ID: RuleImageIndex, Name: "image-index", Severity: Error,
		Summary: "a multi-platform image index, not one platform's image",
		Symptom: "'The image manifest, config or layer media type for the source image … is not supported.'",
		Fix:     "push and deploy one platform's manifest (docker buildx build --platform linux/arm64 --provenance=false, or the index entry's digest: REPO@sha256:…)",
		Details: "Lambda takes a Docker v2 schema 2 or OCI image manifest for one Linux platform; an index (a manifest list) is refused. check reads the entry for --arch (or linux/amd64) so the other rules still run."},
	{ID: RuleImageArch, Name: "image-arch", Severity: Error,
		Summary: "image built for another platform than the function's",
		Symptom: "the update succeeds, then every invoke fails: 'Runtime.InvalidEntrypoint' with 'exec format error'",
		Fix:     "build the image for the function's architecture (docker buildx build --platform linux/arm64 or linux/amd64), or change the function's Architectures",
		Details: "Lambda does not compare the image's platform (the config's os and architecture) with the function's Architectures when it is created or updated. The file rules then check the image against its own architecture, so that what they report is wrong inside the image itself."},
	{ID: RuleImageLayerType, Name: "image-layer-type", Severity: Error,
		Summary: "image layer of a media type Lambda refuses: uncompressed or zstd",
		Symptom: "'InvalidImage: ImageLayerFailure: UnsupportedImageLayerDetected'",
		Fix:     "push the image with gzip layers (docker buildx --output type=image,compression=gzip,force-compression=true; skopeo copy --dest-compress-format gzip)",
		Details: "Lambda reads gzip layers: application/vnd.oci.image.layer.v1.tar+gzip and application/vnd.docker.image.rootfs.diff.tar.gzip. Uncompressed (…tar) and zstd (…tar+zstd) layers are refused; so is a layer whose bytes are not what its media type says. Mixing OCI and Docker media types in one manifest gets a warning. A docker save tarball stores its layers uncompressed whatever a push sends, so its media types are not judged."},
	{ID: RuleImageEntrypoint, Name: "image-entrypoint", Severity: Error,
		Summary: "the image's ENTRYPOINT/CMD cannot start a function",
		Symptom: "'Runtime.InvalidEntrypoint'; with AWS's /lambda-entrypoint.sh and not exactly one CMD element, exit status 142: 'entrypoint requires the handler name to be the first argument'",
		Fix:     "set CMD [\"module.handler\"] (one element) on AWS's base images, or an absolute ENTRYPOINT that the image holds; ImageConfig on the function overrides both",
		Details: "Lambda runs ENTRYPOINT with CMD as its arguments (only ENTRYPOINT, CMD, WORKDIR and ENV are honoured). An image with neither has nothing to run; an ENTRYPOINT that is not an absolute path, or that names a file the image does not hold, fails at init. AWS's /lambda-entrypoint.sh takes exactly one argument, the handler."},
	{ID: RuleImageEntry, Name: "image-entry", Severity: Error,
		Summary: "image layer entry that cannot be applied as it is named",
		Symptom: "tools that extract the image disagree on it: some refuse the image, some write where the name says, outside the image's root",
		Fix:     "rebuild the image with a tool that writes relative, clean names (docker buildx, ko, layerkit build --image)",
		Details: "A layer's tar entry with an absolute or '..' name, a whiteout whose name leaves its folder, a path through a symlink loop or through a file, or a hard link to nothing the layers so far hold. check leaves the entry out of the flattened tree and names its layer."},
	{ID: RuleEphemeral, Name: "ephemeral-storage", Severity: Error,
		Summary: "content unpacked into /tmp at start is larger than the function's ephemeral storage",
		Symptom: "the function fails at start, unpacking: 'OSError: [Errno 28] No space left on device' (serverless-python-requirements' unzip_requirements)",
		Fix:     "raise the function's EphemeralStorage (up to 10,240 MB), slim the requirements (slim: true), or use a layer (layer: true) instead of zip: true",
		Details: "serverless-python-requirements' zip: true packs the requirements into .requirements.zip inside the function's code; unzip_requirements unpacks it to /tmp/sls-py-req on the first start. /tmp holds 512 MB (536,870,912 bytes) unless the function's EphemeralStorage.Size (or --ephemeral-storage) says more. check reads the nested zip with every file rule and compares its unzipped size with that."},
	{ID: RuleSecret, Name: "secret", Severity: Error,
		Summary: "secret packaged: environment file, credentials or private key",
		Symptom: "anyone who can download the function or layer can read it",
		Fix:     "remove it from the package (layerkit build leaves these out) and rotate the secret",
		Details: "Names checked: .env and .env.* (not .env.example), .aws/, .ssh/, .gnupg/, *.pem, *.key, *.p12, *.pfx, *.jks, id_rsa and friends, .netrc, .pypirc, .npmrc, .git-credentials."},
	{ID: RuleDeadWeight, Name: "dead-weight", Severity: Warning,
		Summary: "files Lambda never uses: stale bytecode caches, test suites, docs, other platforms' binaries, build intermediates",
		Symptom: "slower deploys and cold starts, and bytes counted against the 250 MB limit",
		Fix:     "exclude them (layerkit.yaml exclude: ['**/tests/**', '**/docs/**'])",
		Details: "Counted per artifact: __pycache__ and .pyc files not compiled for the runtime's Python (bytecode for its own version helps cold starts and is kept), tests/ and test/ folders inside packages, docs/ and examples/ folders inside packages, binaries a loader never picks on Lambda (node-gyp-build prebuilds/ and node-pre-gyp lib/binding/ folders for other platforms, and per-OS or per-CPU folders beside one for the target), and a compile's intermediates (*.o, *.a, obj.target/, .deps/)."},
	{ID: RuleZipUnsafePath, Name: "zip-unsafe-path", Severity: Error,
		Summary: "zip entry that would land outside the extraction root",
		Symptom: "Lambda refuses the zip, or the entry overwrites files outside the layer",
		Fix:     "rebuild the zip with relative paths (layerkit build)",
		Details: "Absolute names, '..' elements, backslashes and empty names."},
	{ID: RuleSymlinkEscape, Name: "symlink-escape", Severity: Error,
		Summary: "symlink pointing outside the package",
		Symptom: "the link dangles on Lambda, or reaches files of the runtime that differ from the build machine's",
		Fix:     "replace the link with the file, or point it inside the package",
		Details: "Absolute targets and relative targets with more '..' than folders above the link."},
	{ID: RuleZipDuplicate, Name: "zip-duplicate", Severity: Error,
		Summary: "the same name twice in one zip",
		Symptom: "which copy Lambda extracts is unspecified",
		Fix:     "rebuild the zip (layerkit build writes each name once)",
		Details: "Tools that append to zips leave duplicates."},
	{ID: RuleZipSizeLie, Name: "zip-size-lie", Severity: Error,
		Summary: "zip entry whose declared sizes are impossible or false",
		Symptom: "extraction fails, or the size budget is computed wrongly",
		Fix:     "rebuild the zip",
		Details: "A stored entry whose sizes differ, a deflated entry claiming more than 1032:1, data past the end of the file. Reads never go beyond what an entry declares."},
	{ID: RuleZipOverlap, Name: "zip-overlap", Severity: Error,
		Summary: "zip entries sharing compressed data (a zip bomb's trick)",
		Symptom: "extraction may expand far beyond the zip's size",
		Fix:     "do not deploy it; rebuild the zip",
		Details: "Each entry's data must end before the next entry's local header."},
	{ID: RuleZipUnsupported, Name: "zip-unsupported", Severity: Error,
		Summary: "encrypted entry or a compression method Lambda cannot extract",
		Symptom: "deploy fails: the zip cannot be extracted",
		Fix:     "rebuild the zip with deflate (layerkit build)",
		Details: "Lambda extracts stored and deflated entries only."},
	{ID: RuleZipCorrupt, Name: "zip-corrupt", Severity: Error,
		Summary: "zip entry whose content cannot be read back (bad CRC, truncated data)",
		Symptom: "deploy fails or the file arrives corrupt",
		Fix:     "rebuild the zip",
		Details: "The entry's data does not decompress to its declared size and CRC-32."},
	{ID: RuleBuildChanged, Name: "build-changed", Severity: Error,
		Summary: "zip that differs from what its build's manifest.json records",
		Symptom: "what deploys is not what was built and checked: CodeSha256 differs from the manifest's code_sha256",
		Fix:     "build again (layerkit build), and keep the output folder as the build left it",
		Details: "A build records each zip's size and SHA-256 in manifest.json. check compares the size always and, with --verify, the SHA-256 (which reads every zip whole). A zip changed after the build (edited, replaced, a half-finished copy) is what CI would deploy without anyone having built or checked it."},
	{ID: RuleSymlinkDangling, Name: "symlink-dangling", Severity: Warning,
		Summary: "symlink that resolves to nothing in the package or its layers",
		Symptom: "'No such file or directory' when the code opens or imports it",
		Fix:     "package the file it points at, or remove the link (layerkit build refuses a link to a file it leaves out)",
		Details: "Each symlink is resolved as Lambda's file system would, one component at a time across the function's code and its layers, following other links (40 at most). A link whose target is missing, or that loops, serves nothing. A warning, not an error: packages sometimes carry links to files nothing opens."},
}

// Rules returns every rule, ordered by ID.
func Rules() []Rule {
	rs := slices.Clone(rules)
	slices.SortFunc(rs, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	return rs
}

// LookupRule finds a rule by its ID ("LK101") or name ("elf-machine"),
// ignoring case.
func LookupRule(s string) (Rule, bool) {
	for _, r := range rules {
		if strings.EqualFold(r.ID, s) || strings.EqualFold(r.Name, s) {
			return r, true
		}
	}
	return Rule{}, false
}

func mustRule(id string) Rule {
	r, ok := LookupRule(id)
	if !ok {
		panic("lint: unknown rule " + id)
	}
	return r
}
