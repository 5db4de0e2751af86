// The CDK app behind cdk.out, in plain JavaScript so that synth needs no
// compile step. regenerate.sh (one folder up) installs aws-cdk-lib and the
// aws-cdk CLI at pinned versions and runs `cdk synth`.
'use strict';
const path = require('path');
const cdk = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');

const root = path.join(__dirname, '..');
const asset = (p) => lambda.Code.fromAsset(path.join(root, p));
const py = lambda.Runtime.PYTHON_3_12;

// named gives a construct the logical ID its construct ID says, so that
// the functions keep the names the checks speak of.
function named(c, id) {
  c.node.defaultChild.overrideLogicalId(id);
  return c;
}

class FixtureStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    // NativeLayer holds an x86_64 library: wrong for ArmFn, which is arm64.
    const nativeLayer = named(new lambda.LayerVersion(this, 'NativeLayer', {
      code: asset('layers/native'),
      compatibleRuntimes: [py],
    }), 'NativeLayer');
    // AbiLayer holds a CPython 3.11 extension: wrong for AbiFn's python3.12.
    const abiLayer = named(new lambda.LayerVersion(this, 'AbiLayer', {
      code: asset('layers/abi'),
      compatibleRuntimes: [py],
    }), 'AbiLayer');
    named(new lambda.Function(this, 'ArmFn', {
      runtime: py, handler: 'app.handler', code: asset('src/arm'),
      architecture: lambda.Architecture.ARM_64, layers: [nativeLayer],
    }), 'ArmFn');
    named(new lambda.Function(this, 'AbiFn', {
      runtime: py, handler: 'app.handler', code: asset('src/abi'),
      architecture: lambda.Architecture.X86_64, layers: [abiLayer],
      environment: { MODE: 'abi', TABLE: this.stackName },
    }), 'AbiFn');
    named(new lambda.Function(this, 'OkFn', {
      runtime: py, handler: 'app.handler', code: asset('src/ok'),
      functionName: 'layerkit-fixture-ok',
    }), 'OkFn');
    // The handler names missing.py; the code has only app.py.
    named(new lambda.Function(this, 'NoHandlerFn', {
      runtime: py, handler: 'missing.handler', code: asset('src/nohandler'),
    }), 'NoHandlerFn');

    // A nested stack with one function, reusing OkFn's code; its layer is
    // the parent's NativeLayer, which CDK passes in as a parameter. x86_64,
    // so the layer's library is right for it.
    const inner = new cdk.NestedStack(this, 'Inner');
    new lambda.Function(inner, 'NestedFn', {
      runtime: py, handler: 'app.handler', code: asset('src/ok'),
      layers: [nativeLayer],
    });
  }
}

// ServiceStack is deployed by the Prod stage: its assets are the same
// folders as FixtureStack's, so the cloud assembly holds them once, in the
// top folder.
class ServiceStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const native = new lambda.LayerVersion(this, 'SharedNative', {
      code: asset('layers/native'),
      compatibleRuntimes: [py],
    });
    const shared = lambda.LayerVersion.fromLayerVersionArn(this, 'Shared',
      'arn:aws:lambda:us-east-1:123456789012:layer:shared:3');
    new lambda.Function(this, 'ServiceFn', {
      runtime: py, handler: 'app.handler', code: asset('src/ok'),
      layers: [native, shared],
    });
  }
}

const app = new cdk.App();
new FixtureStack(app, 'Fixture');
const prod = new cdk.Stage(app, 'Prod');
new ServiceStack(prod, 'Service');
app.synth();
