// Messages between the orun process and its spawner helpers.
import type { ProcessOutcome, ProcessRequest } from "./run-process.js";

export type SerializableRequest = Omit<ProcessRequest, "signal" | "onOutput">;

export type WorkerRequest =
  | { type: "run"; id: number; request: SerializableRequest; inheritEnv: boolean }
  | { type: "abort"; id: number };

export type WorkerMessage = { type: "output"; id: number; chunk: string } | { type: "done"; id: number; outcome: ProcessOutcome };
