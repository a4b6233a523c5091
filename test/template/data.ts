// Template data shaped like the planner's dot: `.orun`, `.parameters`, `.env`.
export function stepData(): Record<string, unknown> {
  return {
    orun: {
      component: { name: "web-app", type: "turbo-package", domain: "" },
      environment: { name: "production" },
      composition: { type: "turbo-package" },
      profile: { name: "" },
      job: { id: "web-app@production.verify", name: "verify" },
    },
    parameters: {
      replicas: 3,
      ratio: 0.75,
      name: "api",
      tags: ["a", "b"],
      nums: [1, 2, 3, 4],
      empty: [],
      emptyMap: {},
      labels: { z: "last", a: "first", m: "mid" },
      nested: { k: [1, "two"], m: { x: true } },
      enabled: true,
      disabled: false,
      zero: 0,
      blank: "",
      nothing: null,
      items: [{ name: "a" }, {}],
      unicode: "héllo",
      "dashed-key": "dk",
    },
    env: { STAGE: "prod", EMPTY: "" },
  };
}
