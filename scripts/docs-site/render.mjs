import { Marked } from 'marked'
import { dirname, posix } from 'node:path'

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slug(text) {
  return text
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-')
}

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])
}

/**
 * Renders one markdown file (path relative to the repository root) to an HTML page body.
 * `resolveLink(target)` gets each relative link target as a repository path and returns the
 * site path to link to; the href is rewritten relative to the page.
 */
export function renderMarkdown(file, markdown, resolveLink) {
  const seen = new Map()
  const marked = new Marked({
    gfm: true,
    walkTokens(token) {
      if ((token.type !== 'link' && token.type !== 'image') || /^([a-z]+:|#|\/)/i.test(token.href)) return
      const [path, hash] = token.href.split('#')
      const target = posix.normalize(posix.join(dirname(file), decodeURI(path)))
      const sitePath = resolveLink(target)
      const page = file.replace(/\.md$/, '.html')
      token.href = encodeURI(posix.relative(posix.dirname(page), sitePath)) + (hash ? `#${hash}` : '')
    },
    renderer: {
      heading({ tokens, depth, text }) {
        let id = slug(text)
        const count = seen.get(id) ?? 0
        seen.set(id, count + 1)
        if (count > 0) id = `${id}-${count}`
        return `<h${depth} id="${escapeHtml(id)}"><a class="anchor" href="#${escapeHtml(id)}">#</a>${this.parser.parseInline(tokens)}</h${depth}>\n`
      },
    },
  })
  return marked.parse(markdown)
}

/** The page around a rendered body. `root` is the relative path from the page to the site root. */
export function page({ title, body, root }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · @org/realtime</title>
<link rel="stylesheet" href="${root}style.css">
</head>
<body>
<nav><a href="${root}index.html">@org/realtime</a> · <a href="${root}docs/getting-started.html">Getting started</a> · <a href="${root}api/index.html">API reference</a></nav>
<main>
${body}
</main>
</body>
</html>
`
}

export const style = `body{font:16px/1.55 system-ui,sans-serif;margin:0;color:#1f2328}
nav{padding:.8em 1.5em;border-bottom:1px solid #d0d7de;background:#f6f8fa}
main{max-width:52em;margin:0 auto;padding:1em 1.5em 4em}
pre{background:#f6f8fa;padding:1em;overflow:auto;border-radius:6px}
code{font:.9em ui-monospace,monospace}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.3em .6em}
a.anchor{margin-left:-1em;width:1em;display:inline-block;visibility:hidden;text-decoration:none}
h1:hover a.anchor,h2:hover a.anchor,h3:hover a.anchor{visibility:visible}
`
