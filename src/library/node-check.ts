// Imported first by the library's index, so an old Node.js fails with one clear line before the HTTP
// client (which needs Node 22) is loaded.
import { unsupportedNode } from '../base/node-version.js';

const problem = unsupportedNode(process.versions.node);
if (problem !== undefined) throw new Error(problem);
