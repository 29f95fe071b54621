/**
 * Helpers for the dialects' JSON answers: building an Answer, and reading an answer body that may
 * arrive parsed or as raw text (an upstream body is text; garbage reads as undefined).
 */
import type { Answer } from '../types';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function jsonAnswer(status: number, body: unknown): Answer {
  return { status, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(body), json: body };
}

/** The answer as a plain object, parsing text first; undefined for anything else. */
export function answerObject(body: unknown): Record<string, unknown> | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A code or message field as text: strings as they are, finite numbers as their text. */
export function textField(obj: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = obj?.[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Folds a hint into the message for dialects whose error shape has no hint field. */
export function messageWithHint(message: string, hint?: string): string {
  return hint ? `${message} (${hint})` : message;
}
