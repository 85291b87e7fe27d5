// The package root (where package.json is), for the benchmarks' corpus and result paths.
export { packageRoot } from "../vm/node/package-root.js";
