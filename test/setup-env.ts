// The SDK warns that Node 20 support ends; the deployed Lambda runs nodejs22.x.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
