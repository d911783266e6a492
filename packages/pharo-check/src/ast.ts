/** Smalltalk syntax tree. Every node keeps `start`/`end` offsets into the .st file it came from. */

import type { NumberKind } from "./lexer.js";

interface Span {
  start: number;
  end: number;
}

export interface Declaration extends Span {
  name: string;
}

export interface VariableNode extends Span {
  kind: "variable";
  name: string;
}

export type LiteralType = "string" | "symbol" | "char" | "number" | "true" | "false" | "nil";

export interface LiteralNode extends Span {
  kind: "literal";
  type: LiteralType;
  /** Source-level value: string contents, symbol name, the character, or the number's text. */
  value: string;
  numberKind?: NumberKind;
  large?: boolean;
  negative?: boolean;
}

export interface LiteralArrayNode extends Span {
  kind: "literalArray";
  elements: LiteralElement[];
}

export interface ByteArrayNode extends Span {
  kind: "byteArray";
  bytes: number[];
}

export type LiteralElement = LiteralNode | LiteralArrayNode | ByteArrayNode;

export interface SendNode extends Span {
  kind: "send";
  receiver: ExpressionNode;
  selector: string;
  args: ExpressionNode[];
  /** Offset of the (first part of the) selector, where problems with the send are reported. */
  selectorStart: number;
}

/** Stands for the shared receiver inside the messages of a cascade. */
export interface CascadeReceiverNode extends Span {
  kind: "cascadeReceiver";
}

export interface CascadeNode extends Span {
  kind: "cascade";
  receiver: ExpressionNode;
  /** Each message's innermost receiver is a CascadeReceiverNode standing for `receiver`. */
  messages: SendNode[];
}

export interface AssignmentNode extends Span {
  kind: "assignment";
  variable: VariableNode;
  value: ExpressionNode;
}

export interface ReturnNode extends Span {
  kind: "return";
  value: ExpressionNode;
}

export interface BlockNode extends Span {
  kind: "block";
  args: Declaration[];
  temps: Declaration[];
  statements: StatementNode[];
}

export interface DynamicArrayNode extends Span {
  kind: "dynamicArray";
  elements: StatementNode[];
}

export type ExpressionNode =
  | VariableNode
  | LiteralNode
  | LiteralArrayNode
  | ByteArrayNode
  | SendNode
  | CascadeReceiverNode
  | CascadeNode
  | AssignmentNode
  | BlockNode
  | DynamicArrayNode;

export type StatementNode = ExpressionNode | ReturnNode;

export interface PragmaNode extends Span {
  selector: string;
  args: (LiteralElement | VariableNode)[];
}

export interface MethodNode extends Span {
  selector: string;
  args: Declaration[];
  temps: Declaration[];
  pragmas: PragmaNode[];
  statements: StatementNode[];
}
