/// <reference types="chrome" />
// The shapes the extension's parts pass each other, for `tsc --checkJs` (tsconfig.json):
// no build step, the JavaScript stays as it is; these only describe it.

/** A group as events carry it (docs/format.md, "Events"). */
interface HandfulGroup {
  platform: string;  // "linkedin" | "facebook" (JavaScript infers a string)
  id: string;
  name?: string | null;
  url?: string | null;
}

/** An event on its way to the agent: its own fields beside these (docs/schema.json). */
interface HandfulEvent {
  id: string;
  ts: string;
  group?: HandfulGroup;
  [field: string]: unknown;
}

/** A message from a content script, the popup or a frame to the background. */
interface HandfulMessage {
  kind: string;
  [field: string]: any;
}

/** storage.local's `cache`: what the dialog, the popup and the badge show at once. */
interface HandfulCache {
  count?: number;
  cap?: number;
  delay?: number;
  members?: { platform: string; id: string; name: string | null }[];
  groups?: Record<string, unknown>;
  offline?: boolean;
  /** why the agent is away (background/agent.js), null when it answers */
  trouble?: HandfulTrouble | null;
  reviewDue?: boolean;
  pausedUntil?: number;
  fast?: { endsAt: string } | null;
  unjustified?: { key: string; at: string; status: string; name: string | null; url: string | null }[];
}

/** Why the agent is away: the host's `agent_unavailable` reason, or the browser's. */
interface HandfulTrouble {
  reason: string;
  message: string;
}

/** A join button the user taught Handful (content/teach.js). */
interface HandfulRule {
  platform: "linkedin" | "facebook";
  tag: string;
  role: string | null;
  name: string;
  text: string;
  at?: string;
  key?: string;
}

/** One site's rules (sites/linkedin.js, sites/facebook.js): pure functions of URLs and DOM. */
interface HandfulSite {
  platform: "linkedin" | "facebook";
  matches(url: URL): boolean;
  pageKind(url: URL): string;
  groupIdFromUrl(url: URL): string | null;
  groupAt(url: URL): HandfulGroup | null;
  joinControl(target: EventTarget | Element, url: URL, rules?: HandfulRule[]): Element | null;
  groupOf(control: Element, url: URL): HandfulGroup | null;
  listedGroups(doc: Document): HandfulGroup[];
  listedTotal(doc: Document): number | null;
}

interface HandfulSites {
  linkedin: HandfulSite;
  facebook: HandfulSite;
  /** The site a URL belongs to, or null. */
  at(url: URL): HandfulSite | null;
}

/** `globalThis.Handful`: each script adds its part (so each part may be missing). */
interface HandfulNamespace {
  sites?: HandfulSites;
  labels?: Record<string, any>;
  requests?: {
    joinOf(details: chrome.webRequest.OnBeforeRequestDetails): { platform: string; id: string; action: string } | null;
    URLS: string[];
  };
  // any: the caller knows which element it made (an input, a select, a button)
  dom?: { el(tag: string, attrs?: Record<string, unknown>, children?: (Node | string | null)[]): any };
  figures?: Record<string, any>;
  i18n?: { t(key: string, ...values: (string | number)[]): string; tn(key: string, n: number, ...values: (string | number)[]): string; apply(root?: ParentNode): void; language(): string };
  trouble?: {
    explain(trouble: HandfulTrouble | null | undefined): { reason: string; what: string; fix: string; detail: string };
    show(node: HTMLElement, trouble: HandfulTrouble | null | undefined, after?: string): void;
    install(reason: string): boolean;
  };
  navigation?: { onChange(watcher: () => void): void };
  dialog?: {
    prepare(): void;
    open(options: { group: HandfulGroup; source: string; mode?: "join" | "justify"; decide(choice: string): void }): void;
    isOpen(): boolean;
  };
  guard?: { active: boolean };
  standing?: { page(): string | null };
  missed?: { visit(key: string, group: HandfulGroup): Promise<void> };
  joinRequests?: { note(type: string, event: HandfulEvent, sender: chrome.runtime.MessageSender): Promise<void> };
}

declare var Handful: HandfulNamespace;
interface Window { Handful: HandfulNamespace }

/** A "decide later" reminder as storage.local keeps it: the group's key, never its name. */
interface HandfulReminder { key?: string; at: string; due: boolean }

/** What the extension keeps in storage.local and storage.session (docs/security.md). */
interface HandfulSealed { type: "sealed"; kid: string; k: string; iv: string; c: string }
type HandfulQueued =
  | { key: string; message: { type: string; [field: string]: any }; sealed?: undefined }
  | { key: string; sealed: HandfulSealed; message?: undefined };

interface HandfulStored {
  // storage.local: sealed to the agent's key; storage.session: as is, before a key is known
  queue?: HandfulQueued[];
  rejected?: { key: string; at: string; error?: string }[];
  queueKey?: { kid: string; spki: string };
  guard?: { pausedUntil?: number };
  recent?: { give: string; get: string }[];
  cache?: HandfulCache;
  reminders?: (HandfulReminder & { group?: HandfulGroup })[];  // `group`: an older Handful's
  access?: Record<string, boolean>;
  rules?: HandfulRule[];
  askLater?: Record<string, number>;
  decisions?: any[];
}

declare namespace chrome.storage {
  interface StorageArea {
    get(keys?: string | string[] | null): Promise<HandfulStored>;
  }
}

// Speculation Rules prerendering (Chrome 108+; absent elsewhere: undefined, not true).
interface Document { readonly prerendering?: boolean }
