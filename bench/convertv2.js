// node bench/convertv2.js SPEC OUT: openapi-to-postmanv2's convertV2 (the
// library call, as Postman's importer makes it) on SPEC, the collection
// written to OUT. NODE_PATH must hold openapi-to-postmanv2.
const fs = require('fs');
const conv = require('openapi-to-postmanv2');
const data = fs.readFileSync(process.argv[2], 'utf8');
conv.convertV2({ type: 'string', data }, {}, (err, res) => {
  if (err || !res.result) {
    console.error(err || res.reason);
    process.exit(1);
  }
  fs.writeFileSync(process.argv[3], JSON.stringify(res.output[0].data));
});
