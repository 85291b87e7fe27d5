// The reference interpreter against the shared engine suite (every engine passes the same one).
import { defineEngineSuite } from "./suite.js";

defineEngineSuite("interpreter");
