import type { Command } from 'commander';
import type { Io } from '../io.js';
export function registerEngineCommands(_p: Command, _io: Io, _s: (c: number) => void): void {}
