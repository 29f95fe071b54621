// Copies the store's SQL artefacts next to the compiled store (tsc copies only .ts output).
import { cpSync } from 'node:fs';

for (const dir of ['sql', 'migrations']) {
  cpSync(`src/store/${dir}`, `dist/store/${dir}`, { recursive: true });
}
