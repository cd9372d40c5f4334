// @vitest-environment happy-dom
/** src/ui/dom.ts: equal re-renders keep the DOM nodes (no relayout, no repaint) and still run the newest handlers. */
import { describe, expect, it } from 'vitest'
import { h, replaceChildren, replaceChildrenAlways, setText } from '../../src/ui/dom'

describe('replaceChildren', () => {
  it('keeps equal children in place and reports that nothing changed', () => {
    const list = h('ul', {})
    expect(replaceChildren(list, [h('li', { class: 'a' }, 'one'), 'text', null, h('li', {}, 'two')])).toBe(true)
    const before = [...list.childNodes]
    expect(replaceChildren(list, [h('li', { class: 'a' }, 'one'), 'text', false, h('li', {}, 'two')])).toBe(false)
    expect([...list.childNodes]).toEqual(before)
    expect(before.every((n, i) => n === list.childNodes[i])).toBe(true)
  })

  it('replaces when any text, attribute, tag or count differs', () => {
    const list = h('ul', {})
    const render = (...items: HTMLElement[]) => replaceChildren(list, items)
    render(h('li', { 'data-id': '1' }, 'one'))
    expect(render(h('li', { 'data-id': '1' }, 'one!'))).toBe(true)
    expect(render(h('li', { 'data-id': '2' }, 'one!'))).toBe(true)
    expect(render(h('p', { 'data-id': '2' }, 'one!'))).toBe(true)
    expect(render(h('p', { 'data-id': '2' }, 'one!'), h('p', {}))).toBe(true)
    expect(render(h('p', { 'data-id': '2' }, 'one!'), h('p', {}))).toBe(false)
    expect(list.textContent).toBe('one!')
    expect(render()).toBe(true)
    expect(list.childNodes).toHaveLength(0)
  })

  it('hands a kept node the handlers of its equal rebuild, at every depth, and drops handlers the rebuild no longer has', () => {
    const host = h('div', {})
    const clicks: string[] = []
    const render = (label: string, withHandler = true) =>
      replaceChildren(host, [h('div', { class: 'row' }, h('button', withHandler ? { type: 'button', onclick: () => clicks.push(label) } : { type: 'button' }, 'Delete'))])
    render('first')
    const button = host.querySelector('button')!
    button.click()
    expect(render('second')).toBe(false) // equal DOM: the same button stays...
    expect(host.querySelector('button')).toBe(button)
    button.click() // ...and runs the newest closure, once
    expect(clicks).toEqual(['first', 'second'])
    expect(render('third', false)).toBe(false)
    button.click()
    expect(clicks).toEqual(['first', 'second'])
    render('fourth')
    button.click()
    expect(clicks).toEqual(['first', 'second', 'fourth'])
  })

  it('replaceChildrenAlways puts the passed nodes in the document even when equal', () => {
    const host = h('div', {})
    replaceChildrenAlways(host, [h('span', {}, 'x')])
    const mine = h('span', {}, 'x')
    replaceChildrenAlways(host, [mine])
    expect(host.firstChild).toBe(mine)
  })

  it('setText leaves an equal text node alone', () => {
    const el = h('span', {}, 'same')
    const node = el.firstChild
    setText(el, 'same')
    expect(el.firstChild).toBe(node)
    setText(el, 'other')
    expect(el.textContent).toBe('other')
  })
})
