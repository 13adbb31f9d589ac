// npm runs this after `npm ci` / `npm install` in infra/ (package.json
// "postinstall"). The CDK CLI ships Go `cdk init` templates
// (lib/init-templates/*/go/%name%.template.go) that are not valid Go file
// names; inside infra/, which is a Go module, they break `go vet ./...`,
// `go test ./...`, golangci-lint and `gofmt -l`. This project never runs
// `cdk init`, so the templates are removed, and a go.mod marks node_modules
// as a separate module that Go tools skip should a later CLI ship more.
'use strict';

const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, 'node_modules');

function removeGoFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      removeGoFiles(p);
    } else if (entry.name.endsWith('.go')) {
      fs.rmSync(p);
    }
  }
}

if (fs.existsSync(root)) {
  removeGoFiles(root);
  fs.writeFileSync(path.join(root, 'go.mod'), 'module node_modules // not Go: keeps Go tools out\n');
}
