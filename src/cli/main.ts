/** Entry point for running the CLI from source (`node --import tsx src/cli/main.ts …`). */
import { main } from './index';

void main(process.argv);
