import * as ts from 'typescript';

/**
 * A code cell's tokens, with the text of string literals (and the literal parts of template strings)
 * blanked out and whitespace dropped: two cells that differ only in their strings, as a translated
 * notebook's do (labels, legends, printed words), have the same shape. Comments are kept: they are
 * code to the reader, and `//@save` is one.
 */
export function codeShape(source: string): string[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, source);
  const tokens: string[] = [];
  // Open braces per template nesting level: a `}` that closes a `${` resumes the template's text.
  const braces: number[] = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.CloseBraceToken && braces.length > 0 && braces[braces.length - 1] === 0) {
      kind = scanner.reScanTemplateToken(false);
      if (kind === ts.SyntaxKind.TemplateTail) braces.pop();
    } else if (kind === ts.SyntaxKind.OpenBraceToken && braces.length > 0) {
      braces[braces.length - 1]++;
    } else if (kind === ts.SyntaxKind.CloseBraceToken && braces.length > 0) {
      braces[braces.length - 1]--;
    }
    if (kind === ts.SyntaxKind.TemplateHead) braces.push(0);
    switch (kind) {
      case ts.SyntaxKind.WhitespaceTrivia:
      case ts.SyntaxKind.NewLineTrivia:
        break;
      case ts.SyntaxKind.StringLiteral:
      case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
      case ts.SyntaxKind.TemplateHead:
      case ts.SyntaxKind.TemplateMiddle:
      case ts.SyntaxKind.TemplateTail:
        tokens.push(`<${ts.SyntaxKind[kind]}>`);
        break;
      case ts.SyntaxKind.SingleLineCommentTrivia:
      case ts.SyntaxKind.MultiLineCommentTrivia:
        tokens.push(scanner.getTokenText().replace(/\s+/g, ' ').trim());
        break;
      default:
        tokens.push(scanner.getTokenText());
    }
  }
  return tokens;
}
