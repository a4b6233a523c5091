// The docker runner's part of a dry-run's preview, read off the plan and the settings (no engine is asked): the image
// each job would run in and where it came from, and a note on a job the run would fail at start because its runsOn
// names no Linux image (windows-latest, macos-14) or no image at all.
import type { JobPreview } from "../../runtime/events.js";
import { errorMessage } from "../../util/errors.js";
import { type DockerRunnerConfig, imageSource, resolveJobImage } from "./config.js";

export function withJobImages(jobs: readonly JobPreview[], config: Pick<DockerRunnerConfig, "defaultImage" | "defaultImageFrom">): JobPreview[] {
  return jobs.map((preview) => {
    const { runsOn } = preview.job;
    try {
      return { ...preview, image: { ref: resolveJobImage(runsOn, config.defaultImage), from: imageSource(runsOn, config) } };
    } catch (err) {
      const note = `${errorMessage(err)}: the run will fail the job at start`;
      return { ...preview, image: { ref: null }, note: preview.note ? `${preview.note}; ${note}` : note };
    }
  });
}
