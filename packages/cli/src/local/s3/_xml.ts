/**
 * S3's XML both ways. Requests (CompleteMultipartUpload, DeleteObjects, CreateBucketConfiguration)
 * are parsed by @xmldom/xmldom — a W3C DOM parser with no dependencies, strict here (any error
 * refuses the document), that never expands entities a document declares — into a small tree of
 * elements by local name; a DOCTYPE is refused before parsing, as nothing S3 reads has one.
 * Answers are written by `xmlDocument` from `[name, value]` pairs, escaped.
 */
import { DOMParser } from "@xmldom/xmldom";
import { S3Error } from "./_errors.js";

/** S3's XML namespace, on the root element of every answer. */
export const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

/** One element: its local name (namespace dropped), its child elements and its text. */
export interface XmlElement {
  readonly name: string;
  readonly children: readonly XmlElement[];
  /** The concatenated text (and CDATA) directly inside it. */
  readonly text: string;
}

/** A DOM node as far as this module reads it. */
interface DomNode {
  readonly nodeType: number;
  readonly localName?: string | null;
  readonly nodeName: string;
  readonly data?: string;
  readonly childNodes: ArrayLike<DomNode>;
}

function toElement(node: DomNode): XmlElement {
  const children: XmlElement[] = [];
  let text = "";
  for (let i = 0; i < node.childNodes.length; i++) {
    const c = node.childNodes[i]!;
    if (c.nodeType === 1) children.push(toElement(c));
    else if (c.nodeType === 3 || c.nodeType === 4) text += c.data ?? "";
  }
  return { name: node.localName ?? node.nodeName, children, text };
}

/**
 * Parses a request body into its root element.
 *
 * @throws S3Error MalformedXML when the body is not one well-formed XML document (or has a DOCTYPE).
 * @example parseXml('<Delete><Object><Key>a</Key></Object></Delete>').children[0].name === "Object"
 */
export function parseXml(text: string): XmlElement {
  const malformed = (why: string) =>
    new S3Error(
      "MalformedXML",
      `The XML you provided was not well-formed or did not validate against our published schema: ${why}`,
    );
  if (/<!DOCTYPE/i.test(text)) throw malformed("it has a DOCTYPE");
  let problem: string | undefined;
  const parser = new DOMParser({
    onError: (level: string, message: string) => {
      if (level === "warning") return;
      problem ??= message;
      throw new Error(message);
    },
  });
  let doc: { documentElement: DomNode | null } | undefined;
  try {
    doc = parser.parseFromString(text, "application/xml") as unknown as { documentElement: DomNode | null };
  } catch (e) {
    throw malformed(problem ?? (e as Error).message);
  }
  if (!doc?.documentElement) throw malformed("it has no root element");
  return toElement(doc.documentElement);
}

/** The child elements of `el` named `name`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** The text of `el`'s only child `name`, or undefined without one. */
export function childText(el: XmlElement, name: string): string | undefined {
  return el.children.find((c) => c.name === name)?.text;
}

/** An element of an answer: a name and its text, or its children (undefined values are left out). */
export type XmlNode = readonly [string, string | number | boolean | undefined | readonly XmlNode[]];

/** Characters XML text cannot hold as themselves. */
const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** Escapes text for an element: markup characters, and control characters as references (so `\r` survives). */
export function escapeXml(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped.
  return text.replace(/[&<>"'\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => {
    return ESCAPES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
  });
}

function write(nodes: readonly XmlNode[]): string {
  let out = "";
  for (const [name, value] of nodes) {
    if (value === undefined) continue;
    out += `<${name}>${typeof value === "object" ? write(value) : escapeXml(String(value))}</${name}>`;
  }
  return out;
}

/**
 * An XML document: the declaration, then `root` (in `namespace`, when given) holding `children`.
 *
 * @example xmlDocument("Error", undefined, [["Code", "NoSuchKey"]])
 */
export function xmlDocument(
  root: string,
  namespace: string | undefined,
  children: readonly XmlNode[],
): string {
  const ns = namespace ? ` xmlns="${namespace}"` : "";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns}>${write(children)}</${root}>`;
}
