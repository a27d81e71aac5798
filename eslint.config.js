// eslint for static/ (Odoo 19 JS modules): Odoo's own rules (odoo/addons/web/tooling/_eslintrc.json)
// without its prettier formatting. Run by scripts/lint.sh (part of `make test`) and by pre-commit.
// The tools come from package.json, installed by scripts/setup.sh into the runtime's node_modules,
// which scripts/lint.sh puts on NODE_PATH (hence require(), not import).
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
    { files: ["static/**/*.js"], ...js.configs.recommended },
    {
        files: ["static/**/*.js"],
        languageOptions: {
            ecmaVersion: 2022,
            sourceType: "module",
            globals: {
                ...globals.browser,
                // what Odoo's bundles put on window
                odoo: "readonly",
                owl: "readonly",
                luxon: "readonly",
                Chart: "readonly",
            },
        },
        rules: {
            "no-restricted-globals": ["error", "event", "self"],
            "no-duplicate-imports": "error",
            "no-unused-vars": ["error", { vars: "all", args: "none", ignoreRestSiblings: false, caughtErrors: "all" }],
            curly: ["error", "all"],
            "no-restricted-syntax": ["error", "PrivateIdentifier"],
            "prefer-const": ["error", { destructuring: "all", ignoreReadBeforeAssign: true }],
            "arrow-body-style": ["error", "as-needed"],
        },
    },
];
